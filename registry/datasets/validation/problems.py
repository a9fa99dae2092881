"""A bounded list of validation problems (file, line, message): the first N are kept, all are counted."""
from dataclasses import dataclass, field


@dataclass
class Problems:
    """Errors and warnings found while checking an upload. Only the first `limit` of each are kept, so a
    dataset with a million bad rows still answers with a small report and an exact count."""

    limit: int = 50
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0

    def error(self, file: str, message: str, line: int | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < self.limit:
            self.errors.append({"file": file, "line": line, "message": message})

    def warning(self, file: str, message: str, line: int | None = None) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.limit:
            self.warnings.append({"file": file, "line": line, "message": message})

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict:
        return {"errors": self.errors, "error_count": self.error_count,
                "warnings": self.warnings, "warning_count": self.warning_count}

    def summary(self) -> str:
        """One line for the API's `detail`: the count and the first problem."""
        if not self.errors:
            return "No problems."
        first = self.errors[0]
        where = first["file"] + (f":{first['line']}" if first["line"] else "")
        more = f" (and {self.error_count - 1} more)" if self.error_count > 1 else ""
        return f"{where}: {first['message']}{more}"
