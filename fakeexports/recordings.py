"""Recordings of a vendor's API read as transcripts (transcript.py), for ``fakeexports import``: a transcript
``fakeexports verify --save`` wrote, a HAR file (a browser's or a proxy's export), a vcrpy cassette, or a Postman
collection's saved responses. A HAR file, a cassette and a transcript are a sequence (a create, then its polls...);
each saved response of a Postman collection stands alone."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .transcript import Exchange, Transcript, date_of


class RecordingError(ValueError):
    """A file that is none of the formats read here, or one whose entries cannot be read."""


def read(path: Path, vendor: str) -> list[Transcript]:
    """The transcripts a recording holds: one for a sequence, one per saved response of a Postman collection; a
    RecordingError for a file that is none of them, or whose entries are not what its format says."""
    try:
        return _read(path, vendor)
    except RecordingError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise RecordingError(f"{path}: an entry is not as its format says: {type(exc).__name__}: {exc}"[:300]) from None


def _read(path: Path, vendor: str) -> list[Transcript]:
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not text (a recording is JSON or YAML)") from None
    try:
        data: Any = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RecordingError(f"{path}: neither JSON nor YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RecordingError(f"{path}: not a transcript, HAR file, vcrpy cassette or Postman collection")
    if "fakeexports_transcript" in data:
        return [Transcript(vendor, str(data.get("base", "")), [Exchange.from_json(e) for e in data["exchanges"]])]
    if isinstance(data.get("log"), dict) and "entries" in data["log"]:
        return [Transcript(vendor, "", [_har(e) for e in data["log"]["entries"]])]
    if "interactions" in data:
        return [Transcript(vendor, "", [_vcr(i) for i in data["interactions"]])]
    if "item" in data:
        return [Transcript(vendor, "", [e]) for e in _postman(data["item"])]
    raise RecordingError(f"{path}: not a transcript, HAR file, vcrpy cassette or Postman collection")


def _pairs(items: Iterable[Mapping[str, Any]], key: str = "name") -> dict[str, str]:
    return {str(h.get(key, "")): str(h.get("value", "")) for h in items if not h.get("disabled")}


def _har(entry: Mapping[str, Any]) -> Exchange:
    req, resp = entry["request"], entry["response"]
    content = resp.get("content") or {}
    body = str(content.get("text") or "")
    data = base64.b64decode(body) if content.get("encoding") == "base64" else body.encode()
    headers = _pairs(resp.get("headers") or [])
    post = req.get("postData") or {}
    sent = _pairs(req.get("headers") or [])
    if post.get("mimeType") and not any(k.lower() == "content-type" for k in sent):
        sent["Content-Type"] = str(post["mimeType"])
    return Exchange("recorded", str(req["method"]), str(req["url"]), sent, str(post.get("text") or "").encode(),
                    int(resp["status"]), headers, data, date_of(headers))


def _one(value: Any) -> str:
    return str(value[0]) if isinstance(value, list) and value else str(value or "")


def _vcr(interaction: Mapping[str, Any]) -> Exchange:
    req, resp = interaction["request"], interaction["response"]
    body = req.get("body")
    sent = body.get("string") if isinstance(body, dict) else body
    answer = resp.get("body") or {}
    data = answer.get("string", "") if isinstance(answer, dict) else answer
    headers = {str(k): _one(v) for k, v in (resp.get("headers") or {}).items()}
    status = resp.get("status") or {}
    return Exchange("recorded", str(req["method"]), str(req["uri"]),
                    {str(k): _one(v) for k, v in (req.get("headers") or {}).items()},
                    sent.encode() if isinstance(sent, str) else (sent or b""),
                    int(status.get("code", 0) if isinstance(status, dict) else status), headers,
                    data.encode() if isinstance(data, str) else (data or b""), date_of(headers))


def _postman(items: Iterable[Mapping[str, Any]]) -> list[Exchange]:
    out: list[Exchange] = []
    for item in items:
        if "item" in item:  # a folder
            out += _postman(item["item"])
            continue
        for saved in item.get("response") or []:
            req = saved.get("originalRequest") or item.get("request") or {}
            url = req.get("url")
            raw = url.get("raw", "") if isinstance(url, dict) else str(url or "")
            body = (req.get("body") or {}).get("raw") or ""
            headers = _pairs(saved.get("header") or [], "key")
            out.append(Exchange(f"{item.get('name', '')} > {saved.get('name', '')}", str(req.get("method", "GET")),
                                str(raw), _pairs(req.get("header") or [], "key"), str(body).encode(),
                                int(saved.get("code") or 0), headers, str(saved.get("body") or "").encode(),
                                date_of(headers)))
    return out
