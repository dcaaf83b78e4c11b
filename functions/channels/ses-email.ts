import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { collectBody } from '../shared/aws-http.js';
import type { EmailMessage, EmailSender } from './channel-deps.js';

/*
 * The SES client is loaded on first use, not when the function starts: the notifier needs it
 * only for email channels. The SDK import must stay a dynamic import(): esbuild hoists a static
 * import of an external package to the top of the bundle. A client, once made, serves every
 * later invocation.
 */

/** Email through Amazon SES v2, from the deployment's verified sender identity. Plain text only. */
export class SesEmail implements EmailSender {
  constructor(
    private readonly from: string,
    /** Absent: one is made on first use. */
    private client?: Pick<SESv2Client, 'send'>,
  ) {}

  async send(message: EmailMessage): Promise<void> {
    const sdk = await import('@aws-sdk/client-sesv2');
    this.client ??= new sdk.SESv2Client({ streamCollector: collectBody });
    await this.client.send(
      new sdk.SendEmailCommand({
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
