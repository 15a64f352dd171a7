from django.db import migrations


def apply_role_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from tracker.roles import ROLE_PERMISSIONS, permission_filter

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLE_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(permission_filter(name)))


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0003_reminder_delivery_and_used_links"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(apply_role_permissions, migrations.RunPython.noop)]
