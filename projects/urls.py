"""Portal URLs (HTML pages, form posts, files). Every view behind them is scoped to the
signed-in owner. The pages' scripts call the JSON API (``/api/v1/``), never a portal URL."""

from __future__ import annotations

from django.urls import path

from projects.views import check_sheets, projects, renders, runs, tokens, videos

urlpatterns = [
    path("", projects.project_list, name="project-list"),
    path("tokens/", tokens.token_list, name="token-list"),
    path("tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("projects/new/", projects.project_create, name="project-create"),
    path("projects/<int:project_id>/", projects.project_detail, name="project-detail"),
    path("projects/<int:project_id>/edit/", projects.project_edit, name="project-edit"),
    path("projects/<int:project_id>/delete/", projects.project_delete, name="project-delete"),
    path(
        "projects/<int:project_id>/videos/rows/",
        projects.project_video_rows,
        name="project-video-rows",
    ),
    path("projects/<int:project_id>/runs/start/", runs.run_start, name="run-start"),
    path(
        "projects/<int:project_id>/master-audio/",
        projects.project_master_audio,
        name="project-master-audio",
    ),
    path("videos/<int:video_id>/camera/", projects.video_camera, name="video-camera"),
    path("cameras/<int:camera_id>/rename/", projects.camera_rename, name="camera-rename"),
    path("cameras/<int:camera_id>/merge/", projects.camera_merge, name="camera-merge"),
    path("videos/<int:video_id>/delete/", videos.video_delete, name="video-delete"),
    path("videos/<int:video_id>/<str:kind>/", videos.video_media, name="video-media"),
    path("runs/<int:run_id>/", runs.run_detail, name="run-detail"),
    path("runs/<int:run_id>/cancel/", runs.run_cancel, name="run-cancel"),
    path("runs/<int:run_id>/plots/<int:index>/", runs.run_plot, name="run-plot"),
    path("runs/<int:run_id>/check-sheet/", check_sheets.run_check_sheet, name="run-check-sheet"),
    path("runs/<int:run_id>/renders/start/", renders.render_start, name="render-start"),
    path("renders/<int:render_id>/files/<int:output_id>/", renders.render_file, name="render-file"),
    path("renders/<int:render_id>/synced.zip", renders.render_zip, name="render-zip"),
    path("renders/<int:render_id>/delete/", renders.render_delete, name="render-delete"),
    path("renders/<int:render_id>/cancel/", renders.render_cancel, name="render-cancel"),
    path("runs/<int:run_id>/timeline.<str:fmt>", renders.run_timeline, name="run-timeline"),
]
