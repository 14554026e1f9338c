"""Tenant isolation, for every vendor through its recipe: tenant B can never read, list, download or delete
tenant A's jobs, nor receive A's callbacks; a presigned link altered to another tenant or key, used past its
lifetime, or minted by someone who knows the seed, fails with S3's own error."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web
from yarl import URL

from fakeexports.recipe import RecipeError

from .conftest import WITH_RECIPES, driver, recipe_of, two_tenants


async def test_tenant_b_cannot_read_list_download_or_delete_tenant_as_jobs(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    recipe = recipe_of(vendor)
    a, b = await two_tenants(client, vendor)
    mine = await a.create()
    await a.until_done()
    file = await a.download()

    with pytest.raises(RecipeError, match=r"answered 4\d\d"):
        await b.status(mine)
    assert mine not in await b.ids()
    # what A's answers told A (ids, links), never A's credentials
    stolen = {k: v for k, v in a.vars.items() if k not in ("tenant", "token", *recipe.credentials)}
    for call in recipe.download:
        if call.link and not call.auth:
            continue  # a presigned link is a bearer credential, as S3's are: see the test below
        b.vars.update(stolen)
        with pytest.raises(RecipeError):  # a 4xx, or an answer without A's job in it
            await b.call(call)
    if recipe.delete is not None:
        with pytest.raises(RecipeError, match=r"answered 4\d\d"):
            await b.delete(mine)
    # A's job is whole
    assert await a.status(mine) == recipe.done
    assert (await a.download()).body == file.body


# DIDWW serves its files from its own API (with the key), not through presigned links
LINKED = [n for n in WITH_RECIPES if any(c.link and not c.auth for c in recipe_of(n).download)]
CALLING = [n for n in WITH_RECIPES if recipe_of(n).callback is not None]  # Talkdesk and HookBridge have none


@pytest.mark.parametrize("vendor", LINKED)
async def test_an_altered_or_expired_link_fails_with_s3s_error(client_for: Any, vendor: str) -> None:
    recipe = recipe_of(vendor)
    client = await client_for(fixtures="none")
    a = driver(client, vendor, 0)
    await a.login()
    await a.create()
    await a.until_done()
    await a.download()
    link = str(a.vars["link"])
    path = link.split("/_s3/", 1)[1]
    bucket, tenant, key = path.split("/", 2)
    other = recipe.tenants[1]
    for altered in (link.replace(f"/{bucket}/{tenant}/", f"/{bucket}/{other}/", 1),
                    link.replace(key.split("?", 1)[0], "x" + key.split("?", 1)[0], 1),
                    re.sub(r"X-Amz-Signature=[0-9a-f]{4}", "X-Amz-Signature=0000", link)):
        resp = await client.get(altered.split(str(client.make_url("")).rstrip("/"), 1)[1])
        assert resp.status == 403 and resp.headers["Content-Type"].startswith("application/xml"), altered
        assert "<Code>SignatureDoesNotMatch</Code>" in await resp.text()
    expires = int(re.search(r"X-Amz-Expires=(\d+)", link).group(1))  # type: ignore[union-attr]
    await client.post("/_fakeexports/clock/advance", json={"seconds": expires + 1})
    resp = await client.get(link.split(str(client.make_url("")).rstrip("/"), 1)[1])
    assert resp.status == 403 and "<Message>Request has expired</Message>" in await resp.text()


@pytest.mark.parametrize("vendor", CALLING)
async def test_callbacks_go_to_the_tenant_that_asked_for_them(client_for: Any, aiohttp_server: Any,
                                                             vendor: str) -> None:
    calls: dict[str, list[str]] = {"a": [], "b": []}

    async def hook(request: web.Request) -> web.Response:
        calls[request.match_info["who"]].append(request.query_string + (await request.text()))
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/hook/{who}", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await client_for(fixtures="none")
    a, b = await two_tenants(client, vendor)
    mine = await a.create(callback=str(receiver.make_url("/hook/a")))
    theirs = await b.create(callback=str(receiver.make_url("/hook/b")))
    await a.until_done()
    await b.until_done()
    assert len(calls["a"]) == 1 and mine in calls["a"][0] and theirs not in calls["a"][0], calls
    assert len(calls["b"]) == 1 and theirs in calls["b"][0] and mine not in calls["b"][0], calls


@pytest.mark.parametrize("vendor", LINKED)
async def test_a_link_minted_from_the_seed_is_refused(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none", seed=5)
    a = driver(client, vendor, 0)
    await a.login()
    await a.create()
    await a.until_done()
    file = (await a.download()).body
    url = URL(str(a.vars["link"]), encoded=True)
    bucket, tenant, key = url.raw_path.split("/", 4)[2:]
    date = url.query["X-Amz-Date"]
    # the link key as this fake once made it from the public seed: a week's link to the same file
    secret = hashlib.blake2b(b"fakeexports-s3-5", digest_size=32).digest()
    message = f"{bucket.removeprefix('fakeexports-')}\n{unquote(tenant)}\n{unquote(key)}\n{date}\n604800".encode()
    minted = url.update_query({"X-Amz-Expires": "604800",
                               "X-Amz-Signature": hmac.new(secret, message, hashlib.sha256).hexdigest()})
    resp = await client.get(minted.raw_path_qs)
    assert resp.status == 403, await resp.text()
    assert "<Code>SignatureDoesNotMatch</Code>" in await resp.text()
    resp = await client.get(url.raw_path_qs)  # the link the vendor handed out works
    assert resp.status == 200 and await resp.read() == file
