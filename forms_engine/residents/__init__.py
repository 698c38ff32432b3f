"""Resident accounts: login with the マイナンバーカード (利用者証明用), sessions, 「申請履歴」."""
