"""GET /push/vapid-public-key: the key a browser or PWA subscribes to Web Push with."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields

from api.core.extensions import Blueprint
from api.prompts.push import vapid_signer
from wellbeing.core.errors import NotFound

blp = Blueprint("push", __name__, url_prefix="/push", description="Web Push")


class VapidKeySchema(ma.Schema):
    public_key = fields.String(metadata={"description": "the VAPID application server key: base64url of the "
                                                        "uncompressed P-256 point (pushManager.subscribe's "
                                                        "applicationServerKey)"})


@blp.route("/vapid-public-key")
class VapidPublicKey(MethodView):
    @blp.response(200, VapidKeySchema)
    @blp.alt_response(404, description="Web Push is not configured on this service")
    def get(self):
        """The service's VAPID public key (no sign-in)"""
        signer = vapid_signer()
        if signer is None:
            raise NotFound("Web Push is not configured on this service.")
        return {"public_key": signer.public_key()}
