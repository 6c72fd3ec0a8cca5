"""GET /me/export; DELETE /me/data; GET /me/data/receipts[/{id}]."""
from __future__ import annotations

from flask import jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from api.core.auth import login_required
from api.data_rights.schemas import ExportSchema, ReceiptSchema
from api.core.extensions import Blueprint
from api.core.keyring import keyring
from api.core.pagination import CursorArgsSchema, decode_cursor, page_body, page_schema
from wellbeing import data_rights
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import ErasureReceipt
from wellbeing.core.pagination import keyset_page

blp = Blueprint("data_rights", __name__, url_prefix="/me", description="The caller's data rights")


@blp.route("/export")
class Export(MethodView):
    @login_required()
    @blp.response(200, ExportSchema)
    def get(self):
        """Everything the caller owns, as one JSON document"""
        # Returned as is (not dumped through the schema), so every feature's section passes through.
        return jsonify(data_rights.export_user_data(db.session, current_user, keyring(), utcnow()))


@blp.route("/data")
class Data(MethodView):
    @login_required()
    @blp.response(204, headers={"Location": {"description": "The erasure receipt", "schema": {"type": "string"}}})
    def delete(self):
        """Erase the caller's wellbeing data; the Location header names the receipt"""
        receipt = data_rights.erase_user_data(db.session, current_user, utcnow())
        return None, 204, {"Location": url_for("data_rights.Receipt", receipt_id=receipt.id)}


@blp.route("/data/receipts")
class Receipts(MethodView):
    @login_required()
    @blp.arguments(CursorArgsSchema, location="query")
    @blp.response(200, page_schema(ReceiptSchema))
    def get(self, args):
        """The receipts of the caller's erasures, newest first"""
        stmt = data_rights.receipts_query(current_user.id)
        return page_body(keyset_page(db.session, stmt, ErasureReceipt.erased_at, ErasureReceipt.id, args["limit"],
                                     decode_cursor(args["cursor"])))


@blp.route("/data/receipts/<receipt_id>")
class Receipt(MethodView):
    @login_required()
    @blp.response(200, ReceiptSchema)
    def get(self, receipt_id):
        """One erasure receipt"""
        return data_rights.get_receipt(db.session, current_user, receipt_id)
