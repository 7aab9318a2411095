"""What every endpoint of API v1 shares: parameters, pagination, the batch envelope.

Who may send data (interactions.api.CanIngest) is the ingest side's business."""

from datetime import date

from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers, status, views
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

# Records per POST: a PBX or CRM sends more as several requests. Large enough to keep
# request overhead small, small enough for one transaction of a few seconds.
MAX_BATCH = 5000


def date_param(params, name, *, required=False) -> date | None:
    """A local date parameter, YYYY-MM-DD, between the years 1900 and 2999."""
    value = params.get(name)
    if not value:
        if required:
            raise ValidationError({name: ["Required: a local date as YYYY-MM-DD."]})
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: [f"Expected a date as YYYY-MM-DD (got {value!r})."]}) from None
    if not 1900 <= day.year <= 2999:
        raise ValidationError({name: ["The year must lie between 1900 and 2999."]})
    return day


def text_params(params, name) -> tuple[str, ...]:
    """A repeatable text parameter; NUL characters (which PostgreSQL refuses) are an error."""
    values = tuple(params.getlist(name))
    if any("\x00" in value for value in values):
        raise ValidationError({name: ["Text may not contain NUL characters."]})
    return values


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class BatchTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"At most {MAX_BATCH} records per request; send the rest in another."
    default_code = "batch_too_large"


def batch_records(data) -> list:
    """One record (an object) or a list of them, within the limit."""
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise ParseError("Send a JSON object or a list of objects.")
    if not data:
        raise ParseError("The list is empty: nothing to store.")
    if len(data) > MAX_BATCH:
        raise BatchTooLarge()
    return data


def batch_response(report) -> Response:
    """200 when all were stored, 207 when some were rejected, 422 when all were."""
    body = {**report.summary(), "results": [result.as_dict() for result in report.results]}
    if report.rejected == 0:
        code = status.HTTP_200_OK
    elif report.rejected < len(report.results):
        code = status.HTTP_207_MULTI_STATUS
    else:
        code = status.HTTP_422_UNPROCESSABLE_ENTITY
    return Response(body, status=code)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deep for Python's parser (thousands of
    `[`) answered as any other malformed JSON: 400, never a RecursionError's 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as error:  # a decoding error the parent lets through
            raise ParseError(f"JSON parse error - {error}") from None


def exception_handler(exc, context):
    """DRF's handler, and a body over DATA_UPLOAD_MAX_MEMORY_SIZE answered as JSON 413
    (Django alone answers it with an HTML 400)."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    return views.exception_handler(exc, context)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is over the upload limit; send fewer records per request."
    default_code = "payload_too_large"
