"""The words of our e-mails, Vietnamese first: every message has a plain-text part and an
HTML part saying the same thing, with links that open the app at the document. Nothing
of a secret document (Mật and above) is ever written into a message — neither its
trích yếu nor its file; the message only says something waits, and the link."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

FOOTER_VI = "Thư này do hệ thống Trình Ký gửi tự động; vui lòng không trả lời."
FOOTER_EN = "Sent automatically by Trình Ký; please do not reply."


@dataclass
class Section:
    title: str
    lines: list[tuple[str, str | None]] = field(default_factory=list)  # (text, link)


def document_link(app_url: str, document_id: int) -> str:
    """The PWA's route for a document (the same the push notifications open)."""
    return f"{app_url.rstrip('/')}/documents/{document_id}"


def render(
    greeting: str, intro: str, sections: list[Section], closing: str = ""
) -> tuple[str, str]:
    """(text, html) of one message."""
    text_lines = [greeting, "", intro, ""]
    html = [
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head>',
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1b1b1b">',
        f"<p>{escape(greeting)}</p>",
        f"<p>{escape(intro)}</p>",
    ]
    for section in sections:
        if section.title:
            text_lines.append(section.title)
            html.append(
                f'<h3 style="font-size:16px;margin:16px 0 6px">{escape(section.title)}</h3>'
            )
        html.append("<ul>")
        for line, link in section.lines:
            text_lines.append(f"  - {line}" + (f"\n    {link}" if link else ""))
            html.append(
                f'<li><a href="{escape(link, quote=True)}">{escape(line)}</a></li>'
                if link
                else f"<li>{escape(line)}</li>"
            )
        html.append("</ul>")
        text_lines.append("")
    if closing:
        text_lines += [closing, ""]
        html.append(f"<p>{escape(closing)}</p>")
    text_lines += ["--", FOOTER_VI, FOOTER_EN]
    html.append(
        f'<p style="color:#666;font-size:12px">{escape(FOOTER_VI)}<br>{escape(FOOTER_EN)}</p>'
    )
    html.append("</body></html>")
    return "\n".join(text_lines) + "\n", "\n".join(html) + "\n"
