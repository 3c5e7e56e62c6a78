"""A grouped bar chart (SVG) of monthly cost by service, legacy next to now."""

from __future__ import annotations

from html import escape


def comparison_svg(before: dict[str, float], after: dict[str, float], *, title: str) -> str:
    services = sorted(
        set(before) | set(after), key=lambda s: -max(before.get(s, 0), after.get(s, 0))
    )
    top = max([*before.values(), *after.values(), 1.0])
    row, width, left = 34, 820, 150
    height = 70 + row * len(services)
    scale = (width - left - 120) / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        '<rect x="10" y="34" width="12" height="10" fill="#b0b0b0"/><text x="26" y="43">legacy</text>',
        '<rect x="80" y="34" width="12" height="10" fill="#2a7ab0"/><text x="96" y="43">now</text>',
    ]
    for index, service in enumerate(services):
        y = 60 + index * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(service)}</text>'
        )
        for offset, (values, colour) in enumerate(((before, "#b0b0b0"), (after, "#2a7ab0"))):
            usd = values.get(service, 0.0)
            bar_y = y + offset * 12
            parts.append(
                f'<rect x="{left}" y="{bar_y}" width="{max(usd * scale, 1):.1f}" height="11" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{left + max(usd * scale, 1) + 4:.1f}" y="{bar_y + 10}">${usd:,.0f}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
