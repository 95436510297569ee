"""What an import did, per dump file: imported, updated, unchanged, skipped."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FileStats:
    """The outcome of one dump file (``missing``: the folder had no such file)."""

    name: str
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    # Values imported changed to pass the site's rules (rows not skipped).
    adjusted: Counter = field(default_factory=Counter)
    missing: bool = False

    @property
    def skipped_total(self) -> int:
        """How many rows were skipped, whatever the reason."""
        return sum(self.skipped.values())


@dataclass
class ImportReport:
    """The summary of one import: per-file stats, the mode and the time taken."""

    site: str
    keep_ids: bool
    files: dict[str, FileStats] = field(default_factory=dict)
    seconds: float = 0.0
    index_seconds: float = 0.0
    indexed: int = 0

    def file(self, name: str) -> FileStats:
        """The stats of one file (created on first use)."""
        if name not in self.files:
            self.files[name] = FileStats(name)
        return self.files[name]

    @property
    def changed(self) -> bool:
        """Whether the import added or updated anything."""
        return any(s.imported or s.updated for s in self.files.values())

    def table(self) -> list[str]:
        """The summary as aligned text lines (the CLI prints them)."""
        lines = [
            f"{'file':<16} {'imported':>9} {'updated':>8} {'unchanged':>9} "
            f"{'skipped':>8}  reasons"
        ]
        for stats in self.files.values():
            if stats.missing:
                lines.append(f"{stats.name:<16} {'(no such file: skipped)':>38}")
                continue
            notes = stats.skipped.most_common() + stats.adjusted.most_common()
            reasons = "; ".join(f"{count} {reason}" for reason, count in notes)
            lines.append(
                f"{stats.name:<16} {stats.imported:>9} {stats.updated:>8} "
                f"{stats.unchanged:>9} {stats.skipped_total:>8}  {reasons}".rstrip()
            )
        return lines
