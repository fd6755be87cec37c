"""Slack's OAuth v2 install flow in the fake: the page a person approves an install on (/oauth/v2/authorize), the
one-time codes it hands the app, and the oauth.v2.access method that exchanges a code or a refresh token.

Who the person at the browser is comes from a session the install driver opens first (a browser signed in to
Slack); the page itself has nothing to click, it answers at once as if the person pressed Allow (or Cancel).
"""

from __future__ import annotations

import base64
import binascii
import html
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode, urlsplit

from simulators.loopback import Reply, Request
from simulators.slack.protocol import JSON, ApiError, Workspace
from simulators.slack.teams import Teams
from simulators.slack.tokens import Clock, Grant, TokenBook

SESSION_COOKIE = "d"  # the name of the cookie Slack keeps a signed-in browser's session in
CODE_LIFETIME = 600.0  # seconds an authorization code can be exchanged (Slack: ten minutes)


@dataclass(frozen=True)
class Session:
    """A browser signed in to Slack as `user_id` of `team_id`, about to approve (or cancel) an install."""

    team_id: str
    user_id: str
    enterprise_install: bool
    deny: bool
    default_redirect: str  # the app's configured redirect URL, used when the authorize URL names none


@dataclass(frozen=True)
class _Code:
    team_id: str
    user_id: str
    enterprise_install: bool
    scopes: tuple[str, ...]
    redirect_uri: str | None  # as given to /oauth/v2/authorize; the exchange must repeat it
    issued: float


@dataclass(frozen=True)
class AuthorizeRequest:
    """What an app asked for on the authorize page."""

    team_id: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    user_scopes: tuple[str, ...]
    state: str
    redirect_uri: str | None
    redirected_to: str  # where the browser was sent back ("" when the page refused)


@dataclass(frozen=True)
class OAuthExchange:
    """One oauth.v2.access call: a code or refresh token exchanged (or refused)."""

    grant_type: str  # "authorization_code" or "refresh_token"
    ok: bool
    error: str = ""
    code: str = ""
    team_id: str | None = None
    enterprise_id: str | None = None
    access_token: str = ""
    refresh_token: str = ""


class OAuth:
    """The app's client credentials, the codes in flight, and the record of every exchange."""

    def __init__(
        self,
        *,
        teams: Teams,
        tokens: TokenBook,
        clock: Clock,
        report: Callable[[str], None],
        client_id: str,
        client_secret: str,
        token_rotation: bool,
    ) -> None:
        self.teams, self.tokens, self.clock, self.report = teams, tokens, clock, report
        self.client_id, self.client_secret, self.token_rotation = client_id, client_secret, token_rotation
        self.exchanges: list[OAuthExchange] = []
        self.authorize_requests: list[AuthorizeRequest] = []
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._codes: dict[str, _Code] = {}
        self._granted: dict[str, tuple[str, ...]] = {}  # installation owner -> bot scopes granted

    def open_session(self, session: Session) -> str:
        """Sign a browser in; the cookie value that carries the session."""
        cookie = secrets.token_hex(16)
        with self._lock:
            self._sessions[cookie] = session
        return cookie

    def granted(self, grant: Grant) -> frozenset[str] | None:
        """The bot scopes a token carries: those its installation asked for, or None (every scope) for a token the
        fake was configured with and never installed through OAuth."""
        with self._lock:
            scopes = self._granted.get(grant.owner)
        return None if scopes is None else frozenset(scopes)

    def grant_scopes(self, owner: str, scopes: tuple[str, ...]) -> None:
        """Let a workspace's (or, org-wide, an organization's) tokens carry exactly these bot scopes, as if it had
        been installed asking for them."""
        with self._lock:
            self._granted[owner] = tuple(scopes)

    def is_enterprise_install(self, team_id: str) -> bool:
        """Whether the app serves this workspace through an org-wide install of its organization."""
        ws = self.teams.get(team_id)
        return bool(ws and ws.enterprise_id and self.tokens.tokens_of(ws.enterprise_id))

    # ------------------------------------------------------------------ the authorize page

    def authorize(self, request: Request) -> Reply:
        """GET /oauth/v2/authorize: the person approves at once, and the browser goes back to the app."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(request.target).query, keep_blank_values=True).items()}
        session = self._sessions.get(_cookie(request.headers.get("cookie", ""), SESSION_COOKIE))
        if session is None:
            return _page(200, "Sign in to your workspace", "This browser is not signed in to Slack.")
        client_id, state = params.get("client_id", ""), params.get("state", "")
        redirect_uri = params.get("redirect_uri") or None
        scopes, user_scopes = _scopes(params.get("scope", "")), _scopes(params.get("user_scope", ""))
        request_record = AuthorizeRequest(
            session.team_id, session.user_id, client_id, scopes, user_scopes, state, redirect_uri, ""
        )
        if client_id != self.client_id:
            self.report(f"oauth authorize: client_id {client_id!r} is not the app's ({self.client_id})")
            with self._lock:
                self.authorize_requests.append(request_record)
            return _page(400, "Something went wrong", "Invalid client_id parameter")
        if not state:
            self.report("oauth authorize: no state; the app cannot tell this install from a forged redirect (CSRF)")
        target = redirect_uri or session.default_redirect
        if session.deny:
            answer = {"error": "access_denied", "state": state}
        else:
            code = f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(32)}"
            entry = _Code(
                session.team_id, session.user_id, session.enterprise_install, scopes, redirect_uri, self.clock.now()
            )
            with self._lock:
                self._codes[code] = entry
            answer = {"code": code, "state": state}
        location = target + ("&" if "?" in target else "?") + urlencode(answer)
        with self._lock:
            self.authorize_requests.append(replace(request_record, redirected_to=location))
        return Reply(302, b"", {"Location": location, "Content-Type": "text/html; charset=utf-8"})

    # ------------------------------------------------------------------ oauth.v2.access

    def access(self, args: JSON, *, authorization: str) -> JSON:
        """oauth.v2.access: client credentials by HTTP Basic auth (slack_sdk's way) or as form fields."""
        client_id, client_secret = _basic(authorization) or (args.get("client_id"), args.get("client_secret"))
        grant_type = str(args.get("grant_type") or "authorization_code")
        code = str(args.get("code") or "") if grant_type == "authorization_code" else ""
        try:
            if client_id != self.client_id:
                raise ApiError("invalid_client_id")
            if client_secret != self.client_secret:
                raise ApiError("bad_client_secret")
            if grant_type == "refresh_token":
                answer = self._refresh(str(args.get("refresh_token") or ""))
            elif grant_type == "authorization_code":
                answer = self._exchange(code, args.get("redirect_uri"))
            else:
                raise ApiError("invalid_grant_type")
        except ApiError as exc:
            with self._lock:
                self.exchanges.append(OAuthExchange(grant_type, ok=False, error=exc.error, code=code))
            raise
        enterprise = answer.get("enterprise") or {}
        team = answer.get("team") or {}
        record = OAuthExchange(
            grant_type,
            ok=True,
            code=code,
            team_id=team.get("id"),
            enterprise_id=enterprise.get("id"),
            access_token=str(answer["access_token"]),
            refresh_token=str(answer.get("refresh_token", "")),
        )
        with self._lock:
            self.exchanges.append(record)
        return answer

    def _exchange(self, code: str, redirect_uri: object) -> JSON:
        with self._lock:
            entry = self._codes.pop(code, None)  # one exchange per code, right or wrong
        if entry is None or self.clock.now() - entry.issued > CODE_LIFETIME:
            raise ApiError("invalid_code")
        if entry.redirect_uri is not None and redirect_uri != entry.redirect_uri:
            raise ApiError(
                "bad_redirect_uri",
                violation=f"oauth.v2.access: redirect_uri {redirect_uri!r} is not the one given to authorize "
                f"({entry.redirect_uri!r})",
            )
        ws = self.teams.workspace(entry.team_id)
        grant, refresh = self.tokens.issue_bot(
            team_id=None if entry.enterprise_install else ws.team_id,
            enterprise_id=ws.enterprise_id,
            rotating=self.token_rotation,
        )
        return {"authed_user": {"id": entry.user_id}, **self._token_answer(ws, grant, refresh, scopes=entry.scopes)}

    def _refresh(self, refresh_token: str) -> JSON:
        # Slack revokes a refresh token once it is used and returns a new one with the new access token, so a second
        # exchange of the same refresh token fails (invalid_refresh_token); the old access token lives on until it
        # expires.
        grant, refresh = self.tokens.refresh(refresh_token)
        members = [grant.team_id] if grant.team_id else self.teams.in_enterprise(grant.enterprise_id or "")
        return self._token_answer(self.teams.workspace(members[0]), grant, refresh, scopes=None)

    def _token_answer(
        self, ws: Workspace, grant: Grant, refresh: str | None, *, scopes: tuple[str, ...] | None
    ) -> JSON:
        """oauth.v2.access's answer in Slack's v2 shape (team is null for an org-wide install)."""
        enterprise = {"id": ws.enterprise_id, "name": ws.enterprise_name} if ws.enterprise_id else None
        answer: JSON = {
            "app_id": ws.app_id,
            "scope": ",".join(scopes) if scopes is not None else self._scopes_of(grant),
            "token_type": "bot",
            "access_token": grant.token,
            "bot_user_id": ws.bot_user_id,
            "team": None if grant.is_enterprise_install else {"id": ws.team_id, "name": ws.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": grant.is_enterprise_install,
        }
        if scopes is not None:
            with self._lock:
                self._granted[grant.owner] = scopes
        if refresh is not None:
            answer |= {"refresh_token": refresh, "expires_in": self.tokens.expires_in(grant)}
        return answer

    def _scopes_of(self, grant: Grant) -> str:
        with self._lock:
            return ",".join(self._granted.get(grant.owner, ()))


def _basic(authorization: str) -> tuple[str, str] | None:
    """(client_id, client_secret) from an ``Authorization: Basic`` header, or None."""
    if not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


def _scopes(raw: str) -> tuple[str, ...]:
    return tuple(scope.strip() for scope in raw.split(",") if scope.strip())


def _page(status: int, title: str, text: str) -> Reply:
    body = f"<html><head><title>{html.escape(title)}</title></head><body><p>{html.escape(text)}</p></body></html>"
    return Reply(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})
