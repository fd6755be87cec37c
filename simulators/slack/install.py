"""A person installing the app from a browser: the app's "Add to Slack" page, Slack's approval page, back to the app.

The browser keeps the app's state cookie and sends it back with the redirect. Bolt marks that cookie ``Secure``;
browsers treat loopback origins as secure, so the cookie travels over plain http here as it would in Chrome.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from simulators.slack.oauth import SESSION_COOKIE, AuthorizeRequest, OAuth, OAuthExchange, Session

_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class InstallResult:
    """The app's answer when the browser came back to it, and what the install left in the fake."""

    status: int
    body: str
    headers: dict[str, str]
    team_id: str | None = None  # the workspace installed (None for an org-wide install, or when nothing was)
    enterprise_id: str | None = None
    bot_token: str | None = None  # what oauth.v2.access handed the app for this install's code
    refresh_token: str | None = None
    authorize: AuthorizeRequest | None = None  # what the app asked for on the authorize page
    exchanges: list[OAuthExchange] = field(default_factory=list)  # the app's oauth.v2.access calls with the code

    @property
    def installed(self) -> bool:
        return self.bot_token is not None


class Installer:
    """Plays the browser through an install, from the app's install path to its redirect URL."""

    def __init__(self, *, oauth: OAuth, authorize_url: Callable[[], str], report: Callable[[str], None]) -> None:
        self._oauth = oauth
        self._authorize_url = authorize_url
        self._report = report

    def install(
        self,
        app_base_url: str,
        *,
        team_id: str,
        user_id: str,
        install_path: str = "/slack/install",
        enterprise_install: bool = False,
        deny: bool = False,
        timeout: float = 10.0,
    ) -> InstallResult:
        """Open the app's install page, follow its "Add to Slack" link, approve as `user_id` of `team_id` (or
        cancel, with `deny`), and bring the browser back to the app with the code (or the error)."""
        workspace = self._oauth.teams.workspace(team_id)
        if enterprise_install and not workspace.enterprise_id:
            raise ValueError(f"team {team_id} is in no organization; an org-wide install needs one")
        base = app_base_url.rstrip("/")
        with httpx.Client(trust_env=False, timeout=timeout, follow_redirects=False) as browser:
            page = browser.get(base + install_path)
            app_cookies = _set_cookies(page)
            link = self._authorize_link(page)
            if link is None:
                return InstallResult(page.status_code, page.text, dict(page.headers))
            session = self._oauth.open_session(
                Session(team_id, user_id, enterprise_install, deny, default_redirect=f"{base}/slack/oauth_redirect")
            )
            approval = browser.get(link, headers={"Cookie": f"{SESSION_COOKIE}={session}"})
            location = approval.headers.get("location")
            authorize = next((a for a in reversed(self._oauth.authorize_requests) if a.redirected_to == location), None)
            if approval.status_code != 302 or not location:
                return InstallResult(approval.status_code, approval.text, dict(approval.headers), authorize=authorize)
            cookie = "; ".join(f"{name}={value}" for name, value in app_cookies.items())
            back = browser.get(location, headers={"Cookie": cookie} if cookie else {})
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        exchanges = [e for e in self._oauth.exchanges if code and e.code == code]
        done = next((e for e in exchanges if e.ok), None)
        return InstallResult(
            back.status_code,
            back.text,
            dict(back.headers),
            team_id=done.team_id if done else None,
            enterprise_id=done.enterprise_id if done else None,
            bot_token=done.access_token if done else None,
            refresh_token=(done.refresh_token or None) if done else None,
            authorize=authorize,
            exchanges=exchanges,
        )

    def sign_in(
        self,
        *,
        team_id: str,
        user_id: str,
        enterprise_install: bool = False,
        deny: bool = False,
        redirect_uri: str = "",
    ) -> dict[str, str]:
        """Headers of a browser signed in to Slack as `user_id` of `team_id`, for opening the authorize page
        directly; it approves (or, with `deny`, cancels) and sends the browser to `redirect_uri` unless the page's
        URL names one."""
        self._oauth.teams.workspace(team_id)
        session = self._oauth.open_session(Session(team_id, user_id, enterprise_install, deny, redirect_uri))
        return {"Cookie": f"{SESSION_COOKIE}={session}"}

    def _authorize_link(self, page: httpx.Response) -> str | None:
        """Where the install page sends the browser: a redirect, or the "Add to Slack" link on the page."""
        where = f"install page {page.request.url}"
        if page.status_code in (301, 302, 303, 307, 308):
            link = str(page.headers.get("location", ""))
        elif page.status_code == 200:
            links = [html.unescape(href) for href in _HREF.findall(page.text)]
            link = next((href for href in links if href.startswith(self._authorize_url())), links[0] if links else "")
        else:
            self._report(f"{where}: answered HTTP {page.status_code}")
            return None
        if not link.startswith(self._authorize_url() + "?"):
            self._report(f"{where}: links to {link[:120]!r}, not to Slack's authorize URL {self._authorize_url()}")
            return None
        return link


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """The cookies an answer sets (name -> value), leaving out ones it deletes."""
    cookies: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, value = header.split(";", 1)[0].strip().partition("=")
        if name and value != "deleted":
            cookies[name] = value
    return cookies
