"""Routes of the committee's rankings of the calls (under the reviews: namespace)."""

from django.urls import URLPattern, path

from reviews.views import ranking

urlpatterns: list[URLPattern] = [
    path("rankings/", ranking.rankings, name="rankings"),
    path("rankings/<int:pk>/", ranking.ranking_page, name="ranking"),
    path("rankings/<int:pk>/decide/", ranking.decide_from_ranking, name="decide_from_ranking"),
    path("rankings/<int:pk>/ranking.pdf", ranking.ranking_pdf, name="ranking_pdf"),
    path("rankings/<int:pk>/ranking.xlsx", ranking.ranking_xlsx, name="ranking_xlsx"),
]
