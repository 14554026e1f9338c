"""A vendor's recipe: how a client drives one export through the vendor's own API, declared as data beside the
vendor's lifecycle. Get credentials, create a job, poll it until it is done, fetch its file, list the jobs. The
shared contract suite (tests/shared/) runs every discovered vendor's recipe, so a new vendor is tested end to end
by declaring it; ``Driver`` runs a recipe against any server (an aiohttp client session or a test client).

Strings in a recipe are templates: ``{name}`` is a variable (``tenant``, or one a call saved), ``{now:OFFSET:FMT}``
the fake clock plus OFFSET seconds in strftime FMT (UTC), ``{basic:USER:PASSWORD}`` a Basic Authorization value.
A call saves variables from its answer: ``json:a.b.0`` (a member; ``*`` maps over a list), ``header:Location``."""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson


@dataclass(frozen=True)
class Call:
    """One request of a recipe. ``path`` is under the vendor's mount, unless ``link``: then it is a link the vendor
    gave (an absolute URL, or a path from the server's root). ``auth`` False sends none of the recipe's headers (a
    presigned link carries its own credentials)."""

    method: str
    path: str
    json: Any = None
    form: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    status: tuple[int, ...] = (200,)
    save: Mapping[str, str] = field(default_factory=dict)
    link: bool = False
    auth: bool = True


@dataclass(frozen=True)
class Recipe:
    """``login`` runs first for each tenant (a token fetch) with only its own headers; ``headers`` then go with
    every call. ``create`` saves ``job``; ``poll`` saves ``status``, which reads ``done`` once the job is finished
    (``step`` seconds of the fake clock at a time); ``download``'s last answer is the file, and a call on the way
    may save ``size``, the file size the API states. ``listing`` saves ``ids``. ``outcome``: a status the core may
    force from the first one, and the word the API shows for it. ``delete``: how the client deletes a job, if
    it can; ``callback``: a ``create`` that asks for a completion callback to ``{callback}``, if the vendor has
    them. ``tenants``: two clients who must not see each other's jobs. ``gone``: what a poll of a job that is
    not the client's (or no longer there) answers."""

    headers: Mapping[str, str]
    create: Call
    poll: Call
    done: str
    download: tuple[Call, ...]
    listing: Call
    outcome: tuple[str, str]
    login: tuple[Call, ...] = ()
    delete: Call | None = None
    callback: Call | None = None
    tenants: tuple[str, str] = ("tenant-a", "tenant-b")
    gone: tuple[int, ...] = (404,)
    step: float = 30.0
    # the credential variables the templates use besides {tenant}, each the fake's value as a template over {tenant}
    # (Twilio's {"auth_token": "auth-token"}); fakeexports verify takes a real account's from a file
    credentials: Mapping[str, str] = field(default_factory=dict)
    tenant_field: str = "tenant"  # what a credentials file calls {tenant} (Twilio's account_sid)


class RecipeError(AssertionError):
    """The vendor did not answer as its recipe says; ``status`` is the answer's, when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None


Send = Callable[..., Awaitable[Answer]]  # send(method, url_or_path, headers=..., data=...)

_VAR = re.compile(r"\{(\w+)\}")
_FUNC = re.compile(r"\{(now|basic):([^{}]*)\}")


def fill(template: Any, variables: Mapping[str, Any], now: float) -> Any:
    """A template (a string, or any JSON value holding strings) with its variables and functions filled in."""
    if isinstance(template, dict):
        return {fill(k, variables, now): fill(v, variables, now) for k, v in template.items()}
    if isinstance(template, list | tuple):
        return [fill(v, variables, now) for v in template]
    if not isinstance(template, str):
        return template

    def var(match: re.Match[str]) -> str:
        if match.group(1) not in variables:
            raise RecipeError(f"the recipe uses {{{match.group(1)}}} before any call saved it")
        return str(variables[match.group(1)])

    def func(match: re.Match[str]) -> str:
        name, arg = match.groups()
        if name == "basic":
            return "Basic " + base64.b64encode(arg.encode()).decode()
        offset, _, fmt = arg.partition(":")
        return datetime.fromtimestamp(now + float(offset or 0), UTC).strftime(fmt or "%Y-%m-%dT%H:%M:%SZ")

    return _FUNC.sub(func, _VAR.sub(var, template))


def pick(answer: Answer, where: str) -> Any:
    """A value of an answer: ``header:Name``, or ``json:`` a dotted path (``*`` maps over a list)."""
    kind, _, path = where.partition(":")
    if kind == "header":
        if path not in answer.headers:
            raise RecipeError(f"the answer has no {path} header")
        return answer.headers[path]
    if kind != "json":
        raise RecipeError(f"cannot save {where!r}: use json:... or header:...")
    values: list[Any] = [answer.json()]
    mapped = False
    for part in path.split(".") if path else ():
        if part == "*":
            values, mapped = [v for value in values for v in (value or [])], True
            continue
        nxt = []
        for value in values:
            try:
                nxt.append(value[int(part)] if isinstance(value, list) else value[part])
            except (KeyError, IndexError, TypeError, ValueError):
                raise RecipeError(f"the answer has no {path}: {answer.body[:300]!r}") from None
        values = nxt
    return values if mapped else values[0]


class Driver:
    """Runs a vendor's recipe for one tenant. ``send`` does the HTTP (following no redirect), ``advance`` moves the
    fake clock, ``now`` reads it; ``mount`` prefixes the recipe's paths (the vendor's mount, or "" with ``host``
    set to reach the vendor by its own host name); ``credentials``: the recipe's credential variables (and
    ``tenant``) as a real account has them."""

    def __init__(self, recipe: Recipe, tenant: str, *, send: Send, advance: Callable[[float], Awaitable[None]],
                 now: Callable[[], Awaitable[float]], mount: str, host: str | None = None,
                 credentials: Mapping[str, str] | None = None):
        self.recipe, self.send, self.advance, self.now = recipe, send, advance, now
        self.mount, self.host = mount, host
        self.vars: dict[str, Any] = {"tenant": tenant}
        for name, template in recipe.credentials.items():  # the fake's, unless given (a real account's)
            self.vars[name] = fill(template, self.vars, 0.0)
        self.vars.update(credentials or {})

    async def call(self, call: Call, **variables: Any) -> Answer:
        """One call: filled in, sent, its status checked and its variables saved."""
        now = await self.now()
        scope = {**self.vars, **variables}
        path = fill(call.path, scope, now)
        headers = {k: fill(v, scope, now) for k, v in (self.recipe.headers.items() if call.auth else ())}
        if self.host is not None and not call.link:
            headers["Host"] = self.host
        headers.update({k: fill(v, scope, now) for k, v in call.headers.items()})
        data: Any = None
        if call.json is not None:
            data = orjson.dumps(fill(call.json, scope, now))
            headers.setdefault("Content-Type", "application/json")
        elif call.form is not None:
            data = fill(dict(call.form), scope, now)
        answer = await self.send(call.method, path if call.link else self.mount + path, headers=headers, data=data)
        if answer.status not in call.status:
            raise RecipeError(f"{call.method} {path} answered {answer.status}, the recipe expects {call.status}: "
                              f"{answer.body[:500]!r}", answer.status)
        for name, where in call.save.items():
            self.vars[name] = pick(answer, where)
        return answer

    @classmethod
    def over(cls, session: Any, base: str, recipe: Recipe, tenant: str, mount: str,
             now: Callable[[], Awaitable[float]] | None = None) -> Driver:
        """A Driver for a server at ``base`` (its origin) through an aiohttp ClientSession: the clock read and
        moved through the control API (or ``now`` given)."""
        async def send(method: str, target: str, *, headers: dict[str, str], data: Any) -> Answer:
            from yarl import URL

            url = target if target.startswith("http") else base + target
            async with session.request(method, URL(url, encoded=True), headers=headers, data=data,
                                       allow_redirects=False) as resp:
                return Answer(resp.status, dict(resp.headers), await resp.read())

        async def clock() -> float:
            async with session.get(base + "/_fakeexports/clock") as resp:
                return float((await resp.json())["epoch"])

        async def advance(seconds: float) -> None:
            async with session.post(base + "/_fakeexports/clock/advance", json={"seconds": seconds}) as resp:
                if resp.status != 200:
                    raise RecipeError(f"the clock did not move: {resp.status} {await resp.text()}", resp.status)

        return cls(recipe, tenant, send=send, advance=advance, now=now or clock, mount=mount)

    async def headers(self) -> dict[str, str]:
        """The recipe's headers as the next call would send them (after login: with its token)."""
        now = await self.now()
        return {k: fill(v, self.vars, now) for k, v in self.recipe.headers.items()}

    async def login(self) -> None:
        for call in self.recipe.login:
            await self.call(call)

    async def create(self, callback: str | None = None) -> str:
        """A job; with ``callback``, one that calls that URL when it ends (the recipe's ``callback`` create)."""
        if callback is None:
            await self.call(self.recipe.create)
        else:
            if self.recipe.callback is None:
                raise RecipeError("the recipe declares no callback")
            await self.call(self.recipe.callback, callback=callback)
        return str(self.vars["job"])

    async def delete(self, job: str | None = None) -> None:
        if self.recipe.delete is None:
            raise RecipeError("the recipe declares no delete")
        await self.call(self.recipe.delete, **({"job": job} if job else {}))

    async def status(self, job: str | None = None) -> str:
        await self.call(self.recipe.poll, **({"job": job} if job else {}))
        return str(self.vars["status"])

    async def until_done(self, limit: int = 400) -> list[str]:
        """Poll, advancing the fake clock a step after each answer that is not done; the statuses seen, in order."""
        seen = [await self.status()]
        for _ in range(limit):
            if seen[-1] == self.recipe.done:
                return seen
            await self.advance(self.recipe.step)
            status = await self.status()
            if status != seen[-1]:
                seen.append(status)
        raise RecipeError(f"not {self.recipe.done} after {limit} steps of {self.recipe.step} s: {seen}")

    async def download(self) -> Answer:
        answer = None
        for call in self.recipe.download:
            answer = await self.call(call)
        if answer is None:
            raise RecipeError("the recipe has no download calls")
        return answer

    async def ids(self) -> list[str]:
        await self.call(self.recipe.listing)
        return [str(i) for i in self.vars["ids"]]
