"""Checks of our own for schemathesis (loaded through SCHEMATHESIS_HOOKS by fuzz.sh).

`region_isolation`: with a bureau's token (ESYNC_FUZZ_REGION set), no successful answer may
carry data of another region: every member named `region` in a JSON answer must be the
bureau's own region. (A record that moved away comes as a tombstone naming its new owner in
`movedTo`, which is the bureau's to know.)
"""
import os

import schemathesis

OWN_REGION = os.environ.get("ESYNC_FUZZ_REGION", "")


def _foreign_regions(value, path="", found=None):
    found = [] if found is None else found
    if isinstance(value, dict):
        for key, member in value.items():
            place = f"{path}.{key}" if path else key
            if key == "region" and isinstance(member, str) and member != OWN_REGION:
                found.append(f"{place} = {member}")
            _foreign_regions(member, place, found)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _foreign_regions(item, f"{path}[{n}]", found)
    return found


@schemathesis.check
def region_isolation(ctx, response, case):
    if not OWN_REGION or not 200 <= response.status_code < 300:
        return None
    if "json" not in (response.headers.get("content-type", [""])[0] if isinstance(response.headers.get("content-type"), list) else response.headers.get("content-type", "")):
        return None
    try:
        body = response.json()
    except Exception:
        return None
    foreign = _foreign_regions(body)
    if foreign:
        raise AssertionError(f"the bureau of {OWN_REGION} was answered with another region's data: {', '.join(foreign[:5])}")
    return None
