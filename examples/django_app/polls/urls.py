from django.urls import path

from polls import views

app_name = "polls"
urlpatterns = [
    path("", views.index, name="index"),
    path("questions/<int:pk>/", views.detail, name="detail"),
    path("questions/<int:pk>/vote/", views.vote, name="vote"),
    path("api/questions/", views.api_questions, name="api-questions"),
]
