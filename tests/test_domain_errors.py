"""Domain errors (core/errors.py) answer the status they carry with a JSON `detail` (and their extras), from a DRF
view (core/http_errors.api_exception_handler) and from a plain Django view (core/security.ApiErrorMiddleware) alike;
and the modules that hold the domain's rules raise them, never DRF's HTTP exceptions."""
import ast
import json
from pathlib import Path

import pytest
from django.test import RequestFactory

from core import errors
from core.http_errors import api_exception_handler, http_status_of
from core.security import ApiErrorMiddleware

ROOT = Path(__file__).resolve().parent.parent

DOCUMENTED = [  # docs/api.md, "Errors"
    (errors.Invalid("Bad."), 400),
    (errors.Forbidden("Only the owner or an admin may delete this dataset."), 403),
    (errors.NotFound("No dataset with this id is visible to you."), 404),
    (errors.Conflict("The search already ended (SUCCEEDED); nothing to cancel."), 409),
    (errors.InUse("Dataset 1 is used by training run 2; delete those first.",
                  dependents=[{"type": "trainingrun", "id": 2, "label": "training run 2"}]), 409),
    (errors.TooLarge("file: the upload is larger than the limit of 1 MB (MAX_MODEL_UPLOAD_MB)."), 413),
    (errors.Unprocessable("this model cannot be served"), 422),
    (errors.QuotaExceeded("Job quota reached."), 429),
    (errors.Unavailable("No inference pool process is running."), 503),
    (errors.TimedOut("No answer within the 100 ms deadline."), 504),
]


def _drf_answer(error):
    response = api_exception_handler(error, {})
    return response.status_code, dict(response.data), response


def _plain_view_answer(error):
    response = ApiErrorMiddleware(lambda request: None).process_exception(RequestFactory().get("/api/jobs/1/events/"),
                                                                           error)
    return response.status_code, json.loads(response.content), response


@pytest.mark.parametrize("answer", [_drf_answer, _plain_view_answer])
@pytest.mark.parametrize("error, status", DOCUMENTED, ids=[type(e).__name__ for e, _ in DOCUMENTED])
def test_each_domain_error_answers_its_documented_status_with_a_detail(answer, error, status):
    code, body, _ = answer(error)
    assert code == status == http_status_of(error)
    assert body["detail"] == error.message


@pytest.mark.parametrize("answer", [_drf_answer, _plain_view_answer])
def test_in_use_lists_the_dependents(answer):
    dependents = [{"type": "trainingrun", "id": 2, "label": "training run 2"}]
    _, body, _ = answer(errors.InUse("Dataset 1 is used by training run 2; delete those first.", dependents=dependents))
    assert body == {"detail": "Dataset 1 is used by training run 2; delete those first.", "dependents": dependents}


@pytest.mark.parametrize("answer", [_drf_answer, _plain_view_answer])
def test_invalid_keeps_the_field_errors_beside_a_one_line_detail(answer):
    _, body, _ = answer(errors.Invalid(errors={"file": ["the file is empty"], "name": ["too long", "bad"]}))
    assert body == {"detail": "file: the file is empty; name: too long bad",
                    "errors": {"file": ["the file is empty"], "name": ["too long", "bad"]}}


@pytest.mark.parametrize("answer", [_drf_answer, _plain_view_answer])
def test_extras_and_retry_after_travel_with_the_answer(answer):
    class Full(errors.Unavailable):
        retry_after = 1

    _, body, response = answer(Full("The queue is full.", error_id="abc"))
    assert body == {"detail": "The queue is full.", "error_id": "abc"} and response["Retry-After"] == "1"


def test_domain_errors_need_no_http_library():
    tree = ast.parse((ROOT / "core" / "errors.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("rest_framework", "django")}


# The modules that hold the domain's rules: they raise core.errors, and the HTTP answer is chosen in core/http_errors.
DOMAIN_MODULE_NAMES = {"services", "selectors", "runner", "controller", "lifecycle", "visibility", "deletion",
                       "quota", "uploads", "routing", "resolutions", "model_cache", "steps", "collectors"}


def _domain_modules():
    for path in sorted(ROOT.glob("*/**/*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part in ("tests", "migrations") or part.startswith(".") for part in parts) or parts[0] == "client":
            continue
        if path.stem.split("_")[-1] in DOMAIN_MODULE_NAMES or path.stem in DOMAIN_MODULE_NAMES \
                or path.parent.name in DOMAIN_MODULE_NAMES:
            yield path


def _imports_drf_exceptions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):  # function-level imports too
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("rest_framework.exceptions")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("rest_framework.exceptions"):
                found.append(node.module)
            elif node.module == "rest_framework":
                found += [f"rest_framework.{a.name}" for a in node.names if a.name == "exceptions"]
    return found


def test_no_service_selector_runner_or_check_imports_drf_exceptions():
    modules = list(_domain_modules())
    assert len(modules) > 30  # the glob found the apps' modules
    offenders = {str(path.relative_to(ROOT)): names for path in modules if (names := _imports_drf_exceptions(path))}
    assert offenders == {}, "raise core.errors (NotFound, Forbidden, Conflict, Invalid, ...) instead"
