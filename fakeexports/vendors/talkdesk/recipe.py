"""How a client drives a Talkdesk Explore report end to end (fakeexports/recipe.py): the shared suite's script for
Talkdesk."""

from __future__ import annotations

from ...kit import Call, Recipe

# A client-credentials token, then a day of calls as CSV: done answers 300, the files 303 to the link.
RECIPE = Recipe(
    tenant_field="client_id",
    credentials={"client_secret": "secret"},
    tenants=("recipe-client-a", "recipe-client-b"),
    login=(Call("POST", "/oauth/token", form={"grant_type": "client_credentials"},
                headers={"Authorization": "{basic:{tenant}:{client_secret}}"}, save={"token": "json:access_token"},
                auth=False),),
    headers={"Authorization": "Bearer {token}"},
    create=Call("POST", "/data/reports/calls/jobs", json={"format": "csv", "timespan": {
        "from": "{now:-90000:%Y-%m-%dT%H:%M:%SZ}", "to": "{now:-3600:%Y-%m-%dT%H:%M:%SZ}"}},
        status=(202,), save={"job": "json:job.id"}),
    poll=Call("GET", "/data/reports/calls/jobs/{job}", status=(200, 300, 302, 303),
              save={"status": "json:job.status"}),
    done="done",
    download=(Call("GET", "/data/reports/calls/files/{job}", status=(303,), save={"link": "header:Location"}),
              Call("GET", "{link}", link=True, auth=False)),
    listing=Call("GET", "/data/reports/calls/jobs", save={"ids": "json:_embedded.jobs.*.id"}),
    outcome=("failed", "failed"),
    delete=Call("DELETE", "/data/reports/calls/files/{job}", status=(204,)),
    step=5.0,
)
