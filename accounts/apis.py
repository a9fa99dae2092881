"""Thin DRF views: JWT login/refresh/logout, the current user, password change, personal API tokens, admin user
management."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core.pagination import paginated_response

from . import selectors, services
from .models import Role
from .permissions import IsPlatformAdmin
from .serializers import (
    ApiTokenCreatedSerializer, ApiTokenCreateSerializer, ApiTokenSerializer, LogoutSerializer, PasswordChangeSerializer, TokenRefreshSerializer, UserCreateSerializer, UserSerializer,
    UserUpdateSerializer,
)
from .throttles import LoginRateThrottle


class TokenObtainApi(TokenObtainPairView):
    throttle_classes = [LoginRateThrottle]


class TokenRefreshApi(TokenRefreshView):
    throttle_classes = [LoginRateThrottle]
    serializer_class = TokenRefreshSerializer


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.refresh_token_blacklist(token=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeApi(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class PasswordChangeApi(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenListCreateApi(APIView):
    """One's own personal API tokens; any role may create one (it acts with that role: a viewer's only reads)."""

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        tokens = selectors.api_token_list(user=request.user)
        return paginated_response(request=request, view=self, queryset=tokens, serializer_class=ApiTokenSerializer)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = services.api_token_create(user=request.user, **serializer.validated_data)
        token.token = raw
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    @extend_schema(responses=ApiTokenSerializer)
    def get(self, request, token_id: int):
        return Response(ApiTokenSerializer(selectors.api_token_get(user=request.user, token_id=token_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        services.api_token_revoke(token=selectors.api_token_get(user=request.user, token_id=token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _django_errors_as_400(exc: DjangoValidationError, field: str = "password"):
    raise ValidationError({field: list(exc.messages)}) from None


class UserListCreateApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses=UserSerializer(many=True))
    def get(self, request):
        role = request.query_params.get("role")
        if role and role not in Role.values:  # docs/api.md: an unknown filter value is a 400, not an empty list
            raise ValidationError({"role": [f"unknown role {role[:40]!r}; known: {', '.join(Role.values)}."]})
        users = selectors.user_list(role=role)
        return paginated_response(request=request, view=self, queryset=users, serializer_class=UserSerializer)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.user_create(**serializer.validated_data)
        except DjangoValidationError as exc:
            _django_errors_as_400(exc)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses=UserSerializer)
    def get(self, request, user_id: int):
        return Response(UserSerializer(selectors.user_get(user_id=user_id)).data)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def patch(self, request, user_id: int):
        user = selectors.user_get(user_id=user_id)
        serializer = UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if user == request.user and serializer.validated_data.get("role", user.role) != user.role:
            raise ValidationError({"role": ["Admins cannot change their own role."]})
        if user == request.user and serializer.validated_data.get("is_active") is False:  # as DELETE refuses it
            raise ValidationError({"is_active": ["Admins cannot deactivate themselves."]})
        try:
            user = services.user_update(user=user, **serializer.validated_data)
        except DjangoValidationError as exc:
            _django_errors_as_400(exc)
        return Response(UserSerializer(user).data)

    @extend_schema(responses={204: None})
    def delete(self, request, user_id: int):
        user = selectors.user_get(user_id=user_id)
        if user == request.user:
            raise ValidationError({"user": ["Admins cannot deactivate themselves."]})
        services.user_update(user=user, is_active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)
