import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { tableSchema } from '../functions/contract/table-schema.js';

/**
 * What keygate must never lose: the key table and the secret that holds the first admin
 * credential. Both outlive the stack (RETAIN), so `cdk destroy` or a replaced stateless part
 * cannot take the keys with it. Nothing here has a hard-coded name: CDK names them.
 */
export class KeygateState extends Construct {
  readonly table: Table;
  readonly adminKeySecret: Secret;

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
    Validations.of(this.adminKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is a keygate API key, not a credential Secrets Manager can rotate: it is replaced by invoking the bootstrap function ({"action":"mint-admin-key"}), which mints a new key and writes it here. Keys expire after at most P6M.',
    });
  }
}
