"""The words of the login, 「申請履歴」 and 「申請状況」 pages (取下げ, 補正), in Japanese and English (kept beside their pages)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "login_page": "マイナンバーカードでログイン",
        "login_lead": ("マイナンバーカードの利用者証明用電子証明書（数字4桁の暗証番号）でログインすると、"
                       "このサイトで申請した手続の履歴と控え（PDF）を確認できます。"),
        "login_note": ("ログインしたまま申請した手続が申請履歴に表示されます。"
                       "氏名・住所などはカードから読み取りません。"),
        "login_start": "ログインを始める",
        "login_unavailable_title": "マイナンバーカードでのログインを利用できません",
        "login_unavailable": ("この環境ではマイナンバーカードでログインできません"
                              "（利用者証明用の信頼点が設定されていません）。"
                              "申請の履歴は、窓口または下記のお問い合わせ先にご確認ください。"),
        "code_page_login": "ログインの手順",
        "code_page_link": "新しいカードの登録",
        "code_label": "ログイン用コード",
        "code_expires": "有効期限",
        "code_expires_value": "{at}まで（発行から{minutes}分）",
        "code_how": "手順",
        "code_step_1": "マイナンバーカードに対応したアプリ（スマートフォンまたはカードリーダー）を開きます。",
        "code_step_2": "アプリに上のコードを入力します。",
        "code_step_3": "アプリの案内に従って、カードの利用者証明用電子証明書の暗証番号（数字4桁）を入力します。",
        "code_step_4": "アプリで完了したら、下の「ログイン状態を確認する」を押してください。",
        "code_link_step_4": "アプリで完了したら、下の「登録状態を確認する」を押してください。",
        "code_link_lead": ("更新した新しいマイナンバーカードを、この申請履歴に登録します。"
                           "新しいカードでコードに署名してください。"),
        "code_waiting": "アプリでの操作を待っています。",
        "code_not_yet": "まだ確認できていません。アプリで操作を終えてから、もう一度押してください。",
        "check_login": "ログイン状態を確認する",
        "check_link": "登録状態を確認する",
        "code_renew": "新しいコードを発行する",
        "code_renew_hint": "コードの有効期限が切れたときや、最初からやり直すときは、新しいコードを発行してください。",
        "expired_title": "コードの有効期限が切れました",
        "expired_body": "有効期限（{minutes}分）が切れました。もう一度始めてください。",
        "refused_title": "ログインできませんでした",
        "link_refused_title": "カードを登録できませんでした",
        "refused_reason": "理由",
        "logged_out": "ログアウトしました。",
        "timed_out": "一定時間（{minutes}分）操作がなかったため、ログアウトしました。もう一度ログインしてください。",
        "my_page": "申請履歴",
        "my_lead": "ログインして申請した手続です。新しい順に表示しています。",
        "my_empty": "まだ申請はありません。ログインしたまま申請すると、ここに表示されます。",
        "my_receipt": "控え（PDF）",
        "my_receipt_of": "{number}の控え（PDF）",
        "received_at": "受付日時",
        "receipt_number": "受付番号",
        "status": "状態",
        "status_received": "受付済み",
        "status_reviewing": "審査中",
        "status_completed": "完了",
        "status_rejected": "却下",
        "status_correction_requested": "補正依頼（補正が必要です）",
        "status_withdrawn": "取下げ済み",
        "status_page": "申請状況",
        "status_lead": "この申請の今の状態です。",
        "correction_message_title": "担当課からの補正依頼",
        "correction_message_lead": ("内容を確認して「補正する」から申請内容を直し、申請してください。"
                                    "同じ受付番号のまま届きます。"),
        "correct_button": "補正する",
        "correct_button_of": "{number}を補正する",
        "withdraw_button": "取り下げる",
        "withdraw_button_of": "{number}を取り下げる",
        "withdraw_page": "本当に取り下げますか",
        "withdraw_lead": ("取り下げると、この申請の審査は行われません。取り下げは元に戻せません。"
                          "もう一度申請するときは、新しく申請してください。"),
        "withdraw_reason": "取り下げの理由（任意）",
        "withdraw_reason_hint": "担当課に伝わります。{max}文字以内で入力してください。",
        "withdraw_confirm": "取り下げる",
        "withdraw_cancel": "取り下げずに戻る",
        "withdrawn": "申請を取り下げました。",
        "problem_title": "操作できませんでした",
        "refused_already": "この申請は既に取り下げられています。",
        "refused_conflict": "この申請の状態は「{status}」に変わっています。今の状態を確認してください。",
        "refused_transition": "「{status}」の申請は取り下げられません。",
        "refused_correct": "「{status}」の申請は補正できません。",
        "reason_too_long": "理由は{max}文字以内で入力してください。",
        "correct_unavailable": ("この手続は、今はオンラインで補正できません。"
                                "お手数ですが、下記の担当課にお問い合わせください。"),
        "correct_signature_unavailable": ("この手続の補正にはマイナンバーカードでの署名が必要ですが、"
                                          "この環境では署名を利用できません。下記の担当課にお問い合わせください。"),
        "confirm_correction": "補正する内容の確認",
        "confirm_correction_lead": ("受付番号 {number} の申請の補正です。「補正して申請する」を押すと、"
                                    "同じ受付番号で補正した内容が届きます。"),
        "correction_submit": "補正して申請する",
        "corrected_title": "補正した内容で申請しました",
        "already_corrected": "既に補正して申請済みです",
        "already_corrected_body": "この補正は既に申請されています。もう一度は申請していません。",
        "stale_correction": "この補正は申請できません",
        "stale_correction_body": ("この下書きは前の補正依頼に対するものです。"
                                  "申請状況から、もう一度「補正する」を押してください。"),
        "correction_closed_body": "この申請は今は補正できません（状態：{status}）。",
        "signature_mismatch_body": "署名した申請と補正する申請が一致しません。もう一度署名してください。",
        "status_link_title": "申請状況の確認",
        "status_link_note": ("次のリンクから、この申請の状況（補正依頼など）を確認し、補正や取下げができます。"
                             "リンクは他の人に知らせないでください。"),
        "status_link": "申請状況を見る",
        "signature_pending": "電子署名の失効確認中",
        "cards": "登録しているカード",
        "cards_lead": "ログインに使えるマイナンバーカードの利用者証明用電子証明書です。",
        "card_expires": "有効期限",
        "card_serial": "シリアル番号",
        "card_linked": "登録日時",
        "link_new": "新しいカードを登録する",
        "link_hint": ("カードを更新したときは、古いカードでログインしたまま新しいカードを登録してください。"
                      "登録すると、新しいカードでも同じ申請履歴にログインできます。"),
        "linked": "新しいカードを登録しました。",
        "already_linked": "このカードは既に登録されています。",
        "logout": "ログアウト",
        "to_catalogue": "手続の一覧へ",
        "failure_expired": "カードの利用者証明用電子証明書の有効期限が切れているか、まだ有効になっていません。",
        "failure_wrong_policy": "利用者証明用電子証明書ではありません（署名用電子証明書ではログインできません）。",
        "failure_wrong_purpose": "利用者証明用電子証明書ではありません。",
        "failure_revoked": "カードの利用者証明用電子証明書が失効しています。",
        "failure_untrusted": "信頼できる認証局が発行した証明書ではありません。",
        "failure_signature": "署名を確認できませんでした。もう一度お試しください。",
        "failure_revocation": "証明書の失効を確認できませんでした。時間をおいてもう一度お試しください。",
        "failure_linked_elsewhere": "このカードは別の申請履歴に登録されています。",
        "failure_other": "証明書または署名を確認できませんでした（{code}）。",
    },
    "en": {
        "login_page": "Log in with your My Number Card",
        "login_lead": ("Log in with the user-authentication certificate of your My Number Card (4-digit PIN) "
                       "to see the applications you made on this site and their receipts (PDF)."),
        "login_note": ("Applications you make while logged in appear in your history. "
                       "No name, address or other personal data is read from the card."),
        "login_start": "Start logging in",
        "login_unavailable_title": "Logging in with a My Number Card is not available",
        "login_unavailable": ("This site cannot log you in with a My Number Card (no authentication trust "
                              "anchors are configured). Please ask the office below about your applications."),
        "code_page_login": "How to log in",
        "code_page_link": "Register a new card",
        "code_label": "Login code",
        "code_expires": "Valid until",
        "code_expires_value": "{at} ({minutes} minutes after it was issued)",
        "code_how": "Steps",
        "code_step_1": "Open an app that supports the My Number Card (smartphone or card reader).",
        "code_step_2": "Enter the code above in the app.",
        "code_step_3": "Follow the app and enter the 4-digit PIN of the card's user-authentication certificate.",
        "code_step_4": "When the app is done, press “Check login status” below.",
        "code_link_step_4": "When the app is done, press “Check registration status” below.",
        "code_link_lead": ("Register your renewed My Number Card to this history: "
                           "sign the code with the new card."),
        "code_waiting": "Waiting for the app.",
        "code_not_yet": "Not confirmed yet. Finish in the app, then press the button again.",
        "check_login": "Check login status",
        "check_link": "Check registration status",
        "code_renew": "Get a new code",
        "code_renew_hint": "If the code has expired, or to start again, get a new code.",
        "expired_title": "The code has expired",
        "expired_body": "The code was valid for {minutes} minutes. Please start again.",
        "refused_title": "You could not be logged in",
        "link_refused_title": "The card could not be registered",
        "refused_reason": "Reason",
        "logged_out": "You have logged out.",
        "timed_out": "You were logged out after {minutes} minutes without activity. Please log in again.",
        "my_page": "Your applications",
        "my_lead": "Applications you made while logged in, newest first.",
        "my_empty": "No applications yet. Applications you make while logged in will appear here.",
        "my_receipt": "Receipt (PDF)",
        "my_receipt_of": "Receipt of {number} (PDF)",
        "received_at": "Received",
        "receipt_number": "Receipt number",
        "status": "Status",
        "status_received": "Received",
        "status_reviewing": "Under review",
        "status_completed": "Completed",
        "status_rejected": "Rejected",
        "status_correction_requested": "Correction requested",
        "status_withdrawn": "Withdrawn",
        "status_page": "Application status",
        "status_lead": "Where this application stands now.",
        "correction_message_title": "The department asks for a correction",
        "correction_message_lead": ("Read the message, then correct your answers with “Correct” and submit them. "
                                    "They reach the department under the same receipt number."),
        "correct_button": "Correct",
        "correct_button_of": "Correct {number}",
        "withdraw_button": "Withdraw",
        "withdraw_button_of": "Withdraw {number}",
        "withdraw_page": "Do you really want to withdraw this application?",
        "withdraw_lead": ("A withdrawn application is not reviewed, and withdrawing cannot be undone. "
                          "To apply again, make a new application."),
        "withdraw_reason": "Reason for withdrawing (optional)",
        "withdraw_reason_hint": "The department will read it. Up to {max} characters.",
        "withdraw_confirm": "Withdraw",
        "withdraw_cancel": "Go back without withdrawing",
        "withdrawn": "The application has been withdrawn.",
        "problem_title": "This could not be done",
        "refused_already": "This application has already been withdrawn.",
        "refused_conflict": "The status of this application has changed to “{status}”. Please check it.",
        "refused_transition": "An application that is “{status}” cannot be withdrawn.",
        "refused_correct": "An application that is “{status}” cannot be corrected.",
        "reason_too_long": "Please keep the reason to {max} characters.",
        "correct_unavailable": ("This procedure cannot be corrected online at the moment. "
                                "Please contact the department below."),
        "correct_signature_unavailable": ("Correcting this procedure needs a My Number Card signature, which is not "
                                          "available here. Please contact the department below."),
        "confirm_correction": "Check your correction",
        "confirm_correction_lead": ("This corrects application {number}. Press “Submit the correction” to send the "
                                    "corrected answers under the same receipt number."),
        "correction_submit": "Submit the correction",
        "corrected_title": "Your correction has been submitted",
        "already_corrected": "This correction has already been submitted",
        "already_corrected_body": "This correction was submitted before; it has not been submitted again.",
        "stale_correction": "This correction cannot be submitted",
        "stale_correction_body": ("This draft answers an earlier request for correction. Open the application's "
                                  "status and press “Correct” again."),
        "correction_closed_body": "This application cannot be corrected now (status: {status}).",
        "signature_mismatch_body": "The signed application is not the one being corrected. Please sign again.",
        "status_link_title": "Checking the status",
        "status_link_note": ("With the link below you can check this application (a request for correction, for "
                             "example), correct it or withdraw it. Do not share the link."),
        "status_link": "See the status of this application",
        "signature_pending": "signature revocation check pending",
        "cards": "Your registered cards",
        "cards_lead": "The user-authentication certificates of My Number Cards you can log in with.",
        "card_expires": "Valid until",
        "card_serial": "Serial number",
        "card_linked": "Registered",
        "link_new": "Register a new card",
        "link_hint": ("After renewing your card, register the new one while logged in with the old one; "
                      "you can then log in to the same history with either."),
        "linked": "Your new card is registered.",
        "already_linked": "This card was already registered.",
        "logout": "Log out",
        "to_catalogue": "All procedures",
        "failure_expired": "The card's user-authentication certificate has expired or is not valid yet.",
        "failure_wrong_policy": "Not a user-authentication certificate (the signing certificate cannot log in).",
        "failure_wrong_purpose": "Not a user-authentication certificate.",
        "failure_revoked": "The card's user-authentication certificate has been revoked.",
        "failure_untrusted": "The certificate was not issued by a trusted authority.",
        "failure_signature": "The signature could not be verified. Please try again.",
        "failure_revocation": "Revocation of the certificate could not be checked. Please try again later.",
        "failure_linked_elsewhere": "This card is registered to another history.",
        "failure_other": "The certificate or signature could not be verified ({code}).",
    },
}

_FAILURES = {
    "expired": "failure_expired", "not_yet_valid": "failure_expired", "wrong_policy": "failure_wrong_policy",
    "wrong_purpose": "failure_wrong_purpose", "revoked": "failure_revoked", "untrusted_chain": "failure_untrusted",
    "signature_mismatch": "failure_signature", "revocation_unknown": "failure_revocation",
    "revocation_not_checked": "failure_revocation", "linked_elsewhere": "failure_linked_elsewhere",
}


def rtext(lang: str, key: str, **params: Any) -> str:
    catalogue = TEXTS.get(lang, TEXTS["ja"])
    template = catalogue.get(key, TEXTS["ja"][key])
    return template.format(**params) if params else template


def failure_text(lang: str, code: str | None) -> str:
    """A verification failure code in plain words."""
    key = _FAILURES.get(code or "")
    return rtext(lang, key) if key else rtext(lang, "failure_other", code=code or "unknown")


def status_text(lang: str, status: str) -> str:
    """A submission's status as residents read it."""
    key = f"status_{status}"
    return rtext(lang, key) if key in TEXTS["ja"] else status
