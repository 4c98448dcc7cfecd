"""The REST API under ``/api/v1/``: one small APIView per operation, one module per entity.

Views validate input with a nested ``InputSerializer``, call one selector or service and answer
with a nested ``OutputSerializer``. Errors, whatever raised them, leave through
:func:`projects.api.errors.exception_handler` as ``{"message", "code", "extra"}``.
"""
