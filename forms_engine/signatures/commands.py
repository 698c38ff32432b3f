"""`forms-engine dev-sign`: a TEST signer for people without a マイナンバーカード.

``dev-sign REQUEST_ID --identity FILE.p12`` does what a card client does, over the documented API only:
``GET /api/v1/signing-requests/{id}`` for the bytes to sign, a signature with the PKCS#12 test identity
(``raw-pkcs1v15``: RSASSA-PKCS1-v1_5/SHA-256 as the card signs; ``cms-detached``: a detached CMS SignedData),
then ``POST /api/v1/signing-requests/{id}``. ``dev-sign --make-identity DIR`` writes a TEST CA and identity
(see devkit.py). Exit status: 0 when the engine answered valid or indeterminate, 1 when it refused, 2 on a
usage or reading error.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:  # imported when used: `forms-engine` starts without them
    import httpx
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

FORMATS = ("raw-pkcs1v15", "cms-detached")
TEST_BANNER = "TEST: これはテスト用の署名です（マイナンバーカードではありません） / a TEST signature, not a My Number Card"


class DevSignError(Exception):
    """A problem worth one line to the operator (exit status 2)."""


def add_parser(sub: Any) -> None:
    """Register `dev-sign` on the `forms-engine` subcommands."""
    p = sub.add_parser("dev-sign", help="TEST signer: sign a pending signing request with a .p12 test identity",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("request_id", nargs="?", metavar="REQUEST_ID", help="the signing code the signing page shows")
    p.add_argument("--identity", type=Path, metavar="FILE.p12", help="the PKCS#12 test identity")
    p.add_argument("--password-stdin", action="store_true", help="read the .p12 password from the first line of stdin")
    p.add_argument("--format", choices=FORMATS, default="raw-pkcs1v15", dest="fmt")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the engine (default %(default)s)")
    p.add_argument("--make-identity", type=Path, metavar="DIR",
                   help="write a TEST CA, identity.p12, anchors/ and crl/ into DIR instead of signing")
    p.set_defaults(func=cmd_dev_sign)


def add_purge_parser(signatures_sub: Any) -> None:
    """Register `signatures purge` on the `signatures` subcommands (the group is made in recheck.py)."""
    p = signatures_sub.add_parser(
        "purge", help="delete the signing requests nothing needs any more (used, or expired and not fileable)",
        description="Deletes signing requests used by a filing, never signed and expired for more than an hour, "
                    "or signed, never filed and past their expiry plus FORMS_ENGINE_DRAFT_RETENTION_HOURS (after "
                    "which they can no longer be filed). New requests do the same on the way; run it from cron.")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_purge)


def cmd_purge(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from forms_engine.config import Settings
    from forms_engine.db import engine_for, upgrade
    from forms_engine.signatures.service import purge

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    engine = engine_for(settings)
    if settings.is_embedded_sqlite:
        upgrade(engine)  # as `serve` does: the embedded database is always at the latest schema
    try:
        with Session(engine) as session:
            deleted = purge(session, settings)
            session.commit()
    finally:
        engine.dispose()
    print(f"{deleted} 件の不要になった署名要求を削除しました / {deleted} signing request(s) deleted", file=sys.stderr)
    return 0


def cmd_dev_sign(args: argparse.Namespace) -> int:
    password = _read_password() if args.password_stdin else None
    try:
        if args.make_identity is not None:
            return make(args.make_identity, password)
        if not args.request_id or args.identity is None:
            raise DevSignError("REQUEST_ID と --identity FILE.p12 を指定してください（または --make-identity DIR）")
        signer = load_identity(args.identity.read_bytes(), password)
        return dev_sign(args.request_id, signer, args.fmt, args.url)
    except (DevSignError, OSError) as exc:
        print(f"dev-sign: {exc}", file=sys.stderr)
        return 2


def _read_password() -> bytes:
    return sys.stdin.readline().rstrip("\r\n").encode()


def make(folder: Path, password: bytes | None, out: IO[str] | None = None) -> int:
    from forms_engine.signatures.devkit import make_identity

    out = out or sys.stdout
    try:
        made = make_identity(folder, password)
    except FileExistsError as exc:
        raise DevSignError(str(exc)) from None
    print(f"{TEST_BANNER}\n", file=out)
    print((folder / "README.txt").read_text(encoding="utf-8"), file=out)
    print(f"identity: {made.identity}\nanchors:  {made.anchors}\ncrl:      {made.crl_dir}", file=out)
    return 0


@dataclass(frozen=True)
class Signer:
    """The test identity: an RSA key and its certificate (DER)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        der: bytes = self.certificate.public_bytes(Encoding.DER)
        return der

    def sign(self, payload: bytes, fmt: str) -> dict[str, str]:
        """The body of `POST /api/v1/signing-requests/{id}` for `payload`."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

        if fmt == "raw-pkcs1v15":
            signature = self.key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
            return {"format": fmt, "signature": _b64(signature), "certificate": _b64(self.certificate_der)}
        options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoCapabilities,
                   pkcs7.PKCS7Options.Binary]
        cms = (pkcs7.PKCS7SignatureBuilder().set_data(payload)
               .add_signer(self.certificate, self.key, hashes.SHA256()).sign(Encoding.DER, options))
        return {"format": fmt, "signature": _b64(cms)}


def load_identity(data: bytes, password: bytes | None) -> Signer:
    """The RSA key and certificate of a PKCS#12 file (cryptography's pkcs12)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        hint = "パスワードが違います" if password else "パスワード付きなら --password-stdin で渡してください"
        raise DevSignError(f".p12 を読めません（{hint}）") from None
    if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
        raise DevSignError(".p12 に RSA の鍵と証明書がありません")
    return Signer(key, certificate)


def dev_sign(request_id: str, signer: Signer, fmt: str = "raw-pkcs1v15", url: str = "http://127.0.0.1:8000",
             client: httpx.Client | None = None, out: IO[str] | None = None) -> int:
    """Sign a pending request as a card client would. `client`: an httpx.Client (a TestClient in tests)."""
    import httpx

    out = out or sys.stdout
    own = client is None
    http = httpx.Client(base_url=url, timeout=30.0) if client is None else client
    path = f"/api/v1/signing-requests/{quote(request_id, safe='')}"
    try:
        found = http.get(path)
        if found.status_code != 200:
            raise DevSignError(f"署名要求を取得できません: HTTP {found.status_code} {_message(found)}")
        status = found.json()
        if status.get("status") != "pending" or not status.get("payload"):
            print(f"この署名要求は署名できません（status: {status.get('status')}）", file=out)
            return 1
        payload = base64.b64decode(status["payload"], validate=True)
        if hashlib.sha256(payload).hexdigest() != status.get("digest_sha256"):
            raise DevSignError("payload と digest_sha256 が一致しません")
        print(TEST_BANNER, file=sys.stderr)
        answer = http.post(path, json=signer.sign(payload, fmt))
    except httpx.HTTPError as exc:
        raise DevSignError(f"{url} に接続できません: {exc}") from None
    finally:
        if own:
            http.close()
    if answer.status_code != 200:
        print(f"署名は受け付けられませんでした: HTTP {answer.status_code} {_message(answer)}", file=out)
        return 1
    verdict = answer.json()
    print(f"検証結果 / verdict: {verdict['status']}" + (f" ({verdict['failure']})" if verdict.get("failure") else ""),
          file=out)
    for check in verdict.get("checks", []):
        if check.get("ok") is not True:
            print(f"  {check.get('name')}: {check.get('detail')}", file=out)
    return 0 if verdict["status"] in ("valid", "indeterminate") else 1


def _message(response: httpx.Response) -> str:
    try:
        return "; ".join(str(e.get("message")) for e in response.json().get("errors", []))
    except (ValueError, AttributeError, TypeError):
        return ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
