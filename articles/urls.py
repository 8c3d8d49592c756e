from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import feeds, insight_views, sitemaps, summary_views, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.article_list, name="list"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path("articles/<slug:slug>/overview-image", views.overview_image, name="overview_image"),
    path("articles/<slug:slug>/card.svg", views.card_image, name="card_image"),
    path("articles/<slug:slug>/summary/", summary_views.summary, name="summary"),
    path("articles/<slug:slug>/summary/share/", summary_views.share_create, name="share_create"),
    path(
        "articles/<slug:slug>/summary/share/<int:link_id>/revoke/",
        summary_views.share_revoke,
        name="share_revoke",
    ),
    path("shared/<str:token>/", summary_views.shared, name="shared"),
    path("preview/<str:token>/", views.article_preview, name="preview"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("authors/<slug:slug>/", views.author_detail, name="author"),
    path("authors/<slug:slug>/photo", views.author_photo, name="author_photo"),
    path("search/", views.search, name="search"),
    path("genetics/highlights/", insight_views.highlights, name="highlights"),
    path("why-members/", views.why_members, name="why_members"),
    path("feed/", feeds.ArticleFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps.SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
