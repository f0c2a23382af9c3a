"""The Settings pages (on a shop's host): managers and owners only."""

from django.urls import path

from .views import access, attendant, audit, catalog, privacy, shop

urlpatterns = [
    path("settings/", shop.profile, name="settings_profile"),
    path("settings/hours/", shop.hours, name="settings_hours"),
    path("settings/owners/", shop.owners, name="settings_owners"),
    path("settings/owners/<int:number_id>/remove/", shop.owner_remove, name="settings_owner_remove"),
    path("settings/services/", catalog.services, name="settings_services"),
    path("settings/services/new/", catalog.service_edit, name="settings_service_new"),
    path("settings/services/<int:service_id>/", catalog.service_edit, name="settings_service"),
    path("settings/services/<int:service_id>/active/", catalog.service_active, name="settings_service_active"),
    path("settings/resources/", catalog.resources, name="settings_resources"),
    path("settings/resources/new/", catalog.resource_edit, name="settings_resource_new"),
    path("settings/resources/<int:resource_id>/", catalog.resource_edit, name="settings_resource"),
    path("settings/resources/<int:resource_id>/active/", catalog.resource_active, name="settings_resource_active"),
    path("settings/attendant/", attendant.attendant, name="settings_attendant"),
    path("settings/attendant/key/", attendant.attendant_key, name="settings_attendant_key"),
    path("settings/attendant/key/remove/", attendant.attendant_key_remove, name="settings_attendant_key_remove"),
    path("settings/attendant/outreach/", attendant.attendant_outreach, name="settings_attendant_outreach"),
    path("settings/attendant/pause/", attendant.attendant_pause, name="settings_attendant_pause"),
    path("settings/faq/", attendant.faq, name="settings_faq"),
    path("settings/faq/new/", attendant.faq_edit, name="settings_faq_new"),
    path("settings/faq/<int:entry_id>/", attendant.faq_edit, name="settings_faq_entry"),
    path("settings/faq/<int:entry_id>/delete/", attendant.faq_delete, name="settings_faq_delete"),
    path("settings/api-keys/", access.api_keys, name="settings_api_keys"),
    path("settings/api-keys/<int:key_id>/revoke/", access.api_key_revoke, name="settings_api_key_revoke"),
    path("settings/privacy/", privacy.privacy, name="settings_privacy"),
    path("settings/audit/", audit.audit, name="settings_audit"),
    path("settings/team/", access.team, name="settings_team"),
    path("settings/team/<int:user_id>/role/", access.member_role, name="settings_member_role"),
    path("settings/team/<int:user_id>/deactivate/", access.member_deactivate, name="settings_member_deactivate"),
    path("settings/team/<int:user_id>/reactivate/", access.member_reactivate, name="settings_member_reactivate"),
]
