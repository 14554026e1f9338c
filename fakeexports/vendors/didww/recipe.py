"""How a client drives a DIDWW export end to end (fakeexports/recipe.py): the shared suite's script for DIDWW."""

from __future__ import annotations

from ...kit import Call, Recipe
from . import envelope

# This month's inbound CDRs in the default version (2021-12-15), downloaded from the export's url.
RECIPE = Recipe(
    credentials={"api_key": "{tenant}"},
    tenants=("recipe-key-a", "recipe-key-b"),
    headers={"Api-Key": "{api_key}", "Accept": envelope.JSONAPI},
    create=Call("POST", "/exports", json={"data": {"type": "exports", "attributes": {
        "export_type": "cdr_in", "filters": {"year": "{now:0:%Y}", "month": "{now:0:%m}"}}}},
        headers={"Content-Type": envelope.JSONAPI}, status=(201,), save={"job": "json:data.id"}),
    poll=Call("GET", "/exports/{job}", save={"status": "json:data.attributes.status",
                                             "url": "json:data.attributes.url"}),
    done="Completed",
    download=(Call("GET", "{url}", link=True),),
    listing=Call("GET", "/exports", save={"ids": "json:data.*.id"}),
    outcome=("completed", "Completed"),
    callback=Call("POST", "/exports", json={"data": {"type": "exports", "attributes": {
        "export_type": "cdr_in", "filters": {"year": "{now:0:%Y}", "month": "{now:0:%m}"},
        "callback_url": "{callback}", "callback_method": "POST"}}},
        headers={"Content-Type": envelope.JSONAPI}, status=(201,), save={"job": "json:data.id"}),
)
