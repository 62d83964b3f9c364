"""A small ``multipart/form-data`` reader for the file upload.

The parts are cut out of the body byte for byte (the MD5 signature covers
the file's exact bytes); the stdlib ``email`` package reads their headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from audiences.tiktok.sandbox.envelope import parameter_error

_LINE_END = b"\r\n"


@dataclass(frozen=True)
class FilePart:
    """A part that carried a file: its name as sent and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Form:
    """The text fields and the files of one form."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)


def read_form(body: bytes, content_type: str) -> Form:
    """The parts of a multipart body; a malformed body is code 40002."""
    boundary = _boundary(content_type)
    form = Form()
    chunks = (_LINE_END + body).split(_LINE_END + b"--" + boundary.encode("latin-1"))
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return form
        head, separator, content = chunk.removeprefix(_LINE_END).partition(_LINE_END * 2)
        if not separator:
            raise parameter_error("a part of the multipart body has no headers")
        headers = HeaderParser().parsestr(head.decode("utf-8", errors="replace"))
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise parameter_error("a part of the multipart body has no field name")
        filename = headers.get_filename()
        if filename is None:
            form.fields[name] = content.decode("utf-8", errors="replace")
        else:
            form.files[name] = FilePart(filename, content)
    raise parameter_error("the multipart body has no closing boundary")


def _boundary(content_type: str) -> str:
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_boundary()
    if header.get_content_type() != "multipart/form-data" or not boundary:
        raise parameter_error("the upload must be multipart/form-data with a boundary")
    return boundary
