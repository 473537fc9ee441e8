"""The API documents itself: an OpenAPI 3 schema without warnings, Swagger UI from local files."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.core.management import call_command

from applications.api.statistics import GROUPS


def test_the_schema_generates_without_a_warning_and_validates(db, tmp_path):
    # --fail-on-warn turns any warning of drf-spectacular into an error; --validate checks the
    # result against the OpenAPI 3 JSON schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_the_schema_is_served_and_documents_every_endpoint_and_its_problems(client, db):
    response = client.get(
        "/api/schema/?format=json", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for name in ("programmes", "calls", "applications", "grants", "payments", "budgets"):
        assert f"/api/v1/{name}/" in paths
        assert f"/api/v1/{name}/{{id}}/" in paths
        listing = paths[f"/api/v1/{name}/"]["get"]
        assert {"200", "304", "400", "401", "403", "429"} <= set(listing["responses"])
        problem = listing["responses"]["401"]["content"]["application/problem+json"]
        assert problem["schema"]["$ref"].endswith("/Problem")
        assert "404" in paths[f"/api/v1/{name}/{{id}}/"]["get"]["responses"]
        parameters = {p["name"] for p in listing["parameters"]}
        assert {"cursor", "page_size", "ordering", "If-None-Match"} <= parameters
    stats = paths["/api/v1/stats/"]["get"]
    assert {"group_by", "status", "programme", "theme", "region"} <= {
        p["name"] for p in stats["parameters"]
    }
    row = schema["components"]["schemas"]["StatisticsRow"]["properties"]
    # Grouped by funder, a row also names it (`funder_name`).
    assert set(GROUPS) | {"funder_name", "count", "requested", "awarded", "paid"} == set(row)
    assert "/api/v1/open-data/360giving.json" in paths
    assert "/api/v1/open-data/360giving.csv" in paths
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_swagger_ui_is_served_from_local_static_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []
    assert "cdn" not in page.lower()
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}"), name
