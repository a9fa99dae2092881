from django.urls import path

from . import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="logout"),
    path("auth/tokens/", apis.ApiTokenListCreateApi.as_view(), name="api-token-list"),
    path("auth/tokens/<int:token_id>/", apis.ApiTokenDetailApi.as_view(), name="api-token-detail"),
    path("auth/me/", apis.MeApi.as_view(), name="me"),
    path("auth/password/", apis.PasswordChangeApi.as_view(), name="password-change"),
    path("users/", apis.UserListCreateApi.as_view(), name="user-list"),
    path("users/<int:user_id>/", apis.UserDetailApi.as_view(), name="user-detail"),
]
