"""What an integrator does with a client generated from docs/openapi.json: attach, replay,
read back, and get a typed error, with the X-API-Key scheme as documented.

    generated_client_check.py BASE_URL KEY WORK_ORDER_ID   (the client importable as wo_client)
"""

import datetime
import sys
import uuid

from wo_client import AuthenticatedClient
from wo_client.api.photos import attach_photo, get_photo
from wo_client.models import AttachedResponse, AttachPhotoBody, PhotoResponse
from wo_client.models.attach_photo_response_401 import AttachPhotoResponse401
from wo_client.models.attach_photo_response_404 import AttachPhotoResponse404
from wo_client.models.attach_photo_response_404_code import AttachPhotoResponse404Code

base_url, key, work_order = sys.argv[1], sys.argv[2], uuid.UUID(sys.argv[3])
# The document's security scheme: an API key in the X-API-Key header, no prefix.
client = AuthenticatedClient(base_url=base_url, token=key, prefix="", auth_header_name="X-API-Key")

name = f"acme/generated/{uuid.uuid4()}.jpg"
body = AttachPhotoBody(
    minio_object_key=name,
    cdn_url=f"https://cdn.example.com/{name}",
    taken_at=datetime.datetime(2026, 4, 15, 12, 0, tzinfo=datetime.timezone.utc),
    step="before",
)

created = attach_photo.sync_detailed(id=work_order, client=client, body=body)
assert created.status_code == 201, (created.status_code, created.content)
assert isinstance(created.parsed, AttachedResponse), created.parsed
photo_id = created.parsed.data.photo_id

replayed = attach_photo.sync_detailed(id=work_order, client=client, body=body)
assert replayed.status_code == 200, replayed.status_code
assert isinstance(replayed.parsed, AttachedResponse) and replayed.parsed.data.photo_id == photo_id

read = get_photo.sync_detailed(id=work_order, photo_id=photo_id, client=client)
assert read.status_code == 200, (read.status_code, read.content)
assert isinstance(read.parsed, PhotoResponse), read.parsed
assert read.parsed.data.minio_object_key == name and read.parsed.data.step == "before"

missing = attach_photo.sync_detailed(id=uuid.uuid4(), client=client, body=body)
assert missing.status_code == 404, missing.status_code
assert isinstance(missing.parsed, AttachPhotoResponse404), missing.parsed
assert missing.parsed.code == AttachPhotoResponse404Code.WORK_ORDER_NOT_FOUND
assert missing.parsed.trace_id == missing.headers["x-trace-id"]

stranger = AuthenticatedClient(base_url=base_url, token="wok_acme_nothing", prefix="", auth_header_name="X-API-Key")
refused = attach_photo.sync_detailed(id=work_order, client=stranger, body=body)
assert refused.status_code == 401 and isinstance(refused.parsed, AttachPhotoResponse401), refused.parsed

print(f"generated client: 201, 200 (same photo {photo_id}), read back, typed 404 and 401: ok")
