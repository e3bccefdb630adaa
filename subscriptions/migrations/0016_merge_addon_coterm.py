# Joins the add-on and co-terming branches; the ledger kind's choices hold both.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0015_addon'),
        ('subscriptions', '0015_coterm'),
    ]

    operations = [
        migrations.AlterField(
            model_name='licensemovement',
            name='kind',
            field=models.CharField(choices=[('grant', 'Grant from the publisher'), ('allocation', 'Allocation'), ('creation', 'Client creation'), ('renewal', 'Renewal'), ('import', 'Import'), ('reversal', 'Reversal'), ('addon', 'Users added'), ('coterm', 'Co-terming')], max_length=16, verbose_name='kind'),
        ),
    ]
