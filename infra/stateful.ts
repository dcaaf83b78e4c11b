import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { tableSchema } from '../functions/contract/table-schema.js';

/**
 * What keygate must never lose: the key table, the secret that holds the first admin credential,
 * and the KMS key webhook signing secrets are sealed under (without it the table's webhook
 * channels cannot sign). All outlive the stack (RETAIN), so `cdk destroy` or a replaced stateless
 * part cannot take the keys with it. Nothing here has a hard-coded name: CDK names them.
 */
export class KeygateState extends Construct {
  readonly table: Table;
  readonly adminKeySecret: Secret;
  readonly webhookSecretsKey: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const string = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new Table(this, 'Table', {
      partitionKey: string(tableSchema.partitionKey),
      sortKey: string(tableSchema.sortKey),
      timeToLiveAttribute: tableSchema.ttlAttribute,
      stream: StreamViewType[tableSchema.streamView],
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of tableSchema.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        ...(index.projection.type === 'ALL'
          ? { projectionType: ProjectionType.ALL }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.attributes] }),
      });
    }

    // No value in the template: Secrets Manager generates a random placeholder at creation,
    // and the bootstrap function overwrites it with the admin key it mints.
    this.adminKeySecret = new Secret(this, 'AdminKeySecret', {
      description: 'keygate admin key (global-admin). Replace it by invoking the bootstrap function with {"action":"mint-admin-key"}.',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Webhook signing secrets are stored sealed under this key (functions/channels/secret-box.ts):
    // a reader of the table (a backup, an export, a role with GetItem on channels) gets
    // ciphertext. Its key policy is CDK's default (the account's IAM policies decide); the
    // functions' own policies name it alone, with the channel id required as encryption context.
    this.webhookSecretsKey = new Key(this, 'WebhookSecretsKey', {
      description: 'keygate: seals webhook channels\' signing secrets (encrypt: the channel-creating route; decrypt: the notifier)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    Validations.of(this.adminKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is a keygate API key, not a credential Secrets Manager can rotate: it is replaced by invoking the bootstrap function ({"action":"mint-admin-key"}), which mints a new key and writes it here. Keys expire after at most P6M.',
    });
  }

  /**
   * Lets a function seal (`encrypt`) or open (`decrypt`) webhook signing secrets: that one KMS
   * action on this key alone, only with a channel id as encryption context, and tells it the key.
   */
  grantWebhookSecrets(fn: LambdaFunction & IGrantable, use: 'encrypt' | 'decrypt'): void {
    fn.addEnvironment('WEBHOOK_SECRETS_KEY_ARN', this.webhookSecretsKey.keyArn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: [use === 'encrypt' ? 'kms:Encrypt' : 'kms:Decrypt'],
        resources: [this.webhookSecretsKey.keyArn],
        conditions: { Null: { 'kms:EncryptionContext:channelId': 'false' } },
      }),
    );
  }
}
