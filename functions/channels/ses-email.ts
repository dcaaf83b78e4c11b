import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { collectBody } from '../shared/aws-http.js';
import type { EmailMessage, EmailSender } from './channel-deps.js';

/*
 * The SES client is made on first use (the notifier needs it only for email channels); the SDK's
 * module is imported statically. A dynamic import() would save nothing in a Lambda bundle, one
 * file parsed whole, and it costs: esbuild then wraps the imported module and all it imports, the
 * SDK's shared core included, in lazy initialisers that escape tree shaking
 * (infra/bundling.ts). A client, once made, serves every later invocation.
 */

/** Email through Amazon SES v2, from the deployment's verified sender identity. Plain text only. */
export class SesEmail implements EmailSender {
  constructor(
    private readonly from: string,
    /** Absent: one is made on first use. */
    private client?: Pick<SESv2Client, 'send'>,
  ) {}

  async send(message: EmailMessage): Promise<void> {
    this.client ??= new SESv2Client({ streamCollector: collectBody });
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: message.to },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}
