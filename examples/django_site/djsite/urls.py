from django.urls import path

from djsite import views

urlpatterns = [
    path("", views.home),
    path("teas", views.teas),
    path("privacy", views.privacy),
    path("theme", views.theme),
    path("embed", views.embed),
    path("chat-widget.js", views.chat_widget),
]
