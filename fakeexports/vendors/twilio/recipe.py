"""How a client drives a Twilio export end to end (fakeexports/recipe.py): the shared suite's script for Twilio."""

from __future__ import annotations

from ...kit import Call, Recipe

# A one-day job five days back; its day's file is listed with its size, then 307 to the presigned link.
RECIPE = Recipe(
    tenant_field="account_sid",
    credentials={"auth_token": "auth-token"},
    tenants=("AC" + "a" * 32, "AC" + "b" * 32),
    headers={"Authorization": "{basic:{tenant}:{auth_token}}"},
    create=Call("POST", "/v1/Exports/Messages/Jobs", form={
        "StartDay": "{now:-432000:%Y-%m-%d}", "EndDay": "{now:-432000:%Y-%m-%d}", "FriendlyName": "recipe"},
        status=(201,), save={"job": "json:job_sid"}),
    poll=Call("GET", "/v1/Exports/Jobs/{job}", save={"status": "json:details.0.status"}),
    done="Completed",
    download=(Call("GET", "/v1/Exports/Messages/Days", save={"day": "json:days.0.day", "size": "json:days.0.size"}),
              Call("GET", "/v1/Exports/Messages/Days/{day}", status=(307,), save={"link": "header:Location"}),
              Call("GET", "{link}", link=True, auth=False)),
    listing=Call("GET", "/v1/Exports/Messages/Jobs", save={"ids": "json:jobs.*.job_sid"}),
    outcome=("Failed", "Failed"),
    delete=Call("DELETE", "/v1/Exports/Jobs/{job}", status=(204,)),
    callback=Call("POST", "/v1/Exports/Messages/Jobs", form={
        "StartDay": "{now:-432000:%Y-%m-%d}", "EndDay": "{now:-432000:%Y-%m-%d}", "FriendlyName": "recipe",
        "WebhookUrl": "{callback}", "WebhookMethod": "POST"}, status=(201,), save={"job": "json:job_sid"}),
)
