"""Geometry for the small server-rendered SVG charts (no JavaScript needed)."""

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 32


@dataclass
class Chart:
    """A step line in a WIDTH x HEIGHT box, with what its axes should say."""

    points: str  # "x,y x,y ..." for <polyline points>
    dots: list[tuple[float, float]]
    first: date
    last: date
    low: int
    high: int
    start: int
    end: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def reputation_chart(
    history: list[tuple[date, int]], joined: date, today: date
) -> Chart | None:
    """Chart a reputation history (day, reputation after it); None if empty.

    The line starts at 1 on the day the user joined and stays level until today,
    so a single day of events still draws a line; a single point (everything
    happened today, the joining day) is drawn as a dot.
    """
    if not history:
        return None
    points = list(history)
    if joined < points[0][0]:
        points.insert(0, (joined, 1))
    if points[-1][0] < today:
        points.append((today, points[-1][1]))
    first, last = points[0][0], points[-1][0]
    values = [value for _, value in points]
    low, high = min(values), max(values)
    days = (last - first).days
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(day: date, value: int) -> tuple[float, float]:
        x = LEFT + (inner_w * (day - first).days / days if days else inner_w / 2)
        y = TOP + (
            inner_h * (high - value) / (high - low) if high > low else inner_h / 2
        )
        return round(x, 1), round(y, 1)

    coords = [xy(*points[0])]
    for (_, before), (day, value) in zip(points, points[1:], strict=False):
        coords.append(xy(day, before))  # level until the day it changed
        coords.append(xy(day, value))
    return Chart(
        points=" ".join(f"{x},{y}" for x, y in coords),
        dots=[coords[0]] if len(points) == 1 else [],
        first=first,
        last=last,
        low=low,
        high=high,
        start=values[0],
        end=values[-1],
    )
