from __future__ import annotations

from flask.views import MethodView

from backend.auth.guard import current_user
from backend.core.api import Blueprint

from . import service
from .schemas import SearchArgsSchema, SearchPageSchema

blp = Blueprint("search", __name__, url_prefix="/api", description="Full-text search")


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgsSchema, location="query")
    @blp.response(200, SearchPageSchema)
    def get(self, args: dict):
        """Find documents by number/symbol, trích yếu, sender or PDF text (diacritics and
        case do not matter); head matches first, then newest first. Filters: type, direction,
        year, drafting unit"""
        q, cursor, limit = args.pop("q"), args.pop("cursor"), args.pop("limit")
        return service.search(current_user(), q, cursor=cursor, limit=limit, filters=args)
