import { Document, Packer, Paragraph } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import request from 'supertest';
import { createAgent, createUser, type TestUser } from './factories';
import type { FakeOpenAI, FakeScript } from './fake-openai';
import { share } from './sharing';
import { readSse, type SseFrame } from './sse';

/** Where the file cases run: the api and the model stand-in it talks to. */
export interface FileDeployment {
  fake: FakeOpenAI;
  api: string;
}

/** A real PDF with one line of text per page. */
export async function pdfWithPages(pages: string[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of pages) doc.addPage().drawText(text, { x: 50, y: 700, size: 12, font });
  return Buffer.from(await doc.save());
}

/** A real DOCX with the given paragraphs. */
export async function docxWith(paragraphs: string[]): Promise<Buffer> {
  const doc = new Document({ sections: [{ children: paragraphs.map((text) => new Paragraph(text)) }] });
  return Packer.toBuffer(doc);
}

const toolResults = (frames: SseFrame[]) =>
  frames
    .filter((f) => f.data.event === 'on_run_step_completed')
    .map((f) => f.data.data.result.tool_call as { id: string; name: string; args: string; output: string });
const attachmentsOf = (frames: SseFrame[]) =>
  frames.filter((f) => f.data.event === 'attachment').map((f) => f.data.data as Record<string, any>);

/** The files cases, written once for both run modes. */
export function fileChatCases(deployment: () => FileDeployment): void {
  const ctx = () => deployment();
  const http = () => request(ctx().api);
  const upload = async (me: TestUser, data: Buffer, filename: string, fields: Record<string, string> = {}) => {
    let req = http().post('/api/files').set(me.auth).attach('file', data, filename);
    for (const [key, value] of Object.entries(fields)) req = req.field(key, value);
    const res = await req;
    expect(res.status).toBe(201);
    return res.body as { file_id: string; status: string; filename: string };
  };
  const whenReady = async (me: TestUser, fileId: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const file = (await http().get(`/api/files/${fileId}`).set(me.auth).expect(200)).body as {
        status: string;
        error: string | null;
      };
      if (file.status !== 'processing') return file;
      if (Date.now() > deadline) throw new Error(`file ${fileId} still processing`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const chat = async (me: TestUser, agentId: string, text: string) => {
    const started = (await http().post('/api/agents/chat').set(me.auth).send({ agent_id: agentId, text }).expect(200))
      .body as { streamId: string; conversationId: string; responseMessageId: string };
    const sse = await readSse(`${ctx().api}/api/agents/chat/stream/${started.streamId}`, me.auth, {
      timeoutMs: 30_000,
    });
    return { started, frames: sse.frames, final: sse.frames[sse.frames.length - 1].data as Record<string, any> };
  };
  const callThen = (name: string, args: unknown, id: string): [FakeScript, (body: any) => FakeScript] => [
    { toolCalls: [{ id, name, arguments: JSON.stringify(args) }] },
    (body) => {
      const result = (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').pop();
      return { tokens: ['From the tool: ', String(result?.content).slice(0, 200)] };
    },
  ];

  it('answers from an uploaded PDF with file_search, citing the file and page', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, { tools: ['file_search'] });
    const pdf = await pdfWithPages([
      'Welcome to the handbook.',
      'Travel: employees may book economy flights.',
      'Leave: every employee has thirty days of paid leave each year.',
    ]);
    const file = await upload(me, pdf, 'handbook.pdf', { agent_id: agent.id, tool_resource: 'file_search' });
    expect(await whenReady(me, file.file_id)).toMatchObject({ status: 'ready' });

    ctx().fake.script(...callThen('file_search', { query: 'paid leave days' }, 'call_fs'));
    const { frames, final, started } = await chat(me, agent.id, 'How many days of leave?');
    const output = toolResults(frames)[0].output;
    expect(output).toContain('handbook.pdf');
    expect(output).toContain('thirty days of paid leave');
    expect(output).toMatch(/page 3/);
    const citations = attachmentsOf(frames).find((a) => a.type === 'citations');
    expect(citations?.citations[0]).toMatchObject({ fileId: file.file_id, page: 3, title: 'handbook.pdf' });
    expect(final).toMatchObject({ final: true, responseMessage: { error: false } });
    const stored = (await http().get(`/api/messages/${started.conversationId}`).set(me.auth).expect(200)).body;
    expect(stored[1].attachments).toEqual([expect.objectContaining({ type: 'citations' })]);
  });

  it('searches a DOCX too, and only the files of the agent', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, { tools: ['file_search'] });
    const other = await createAgent(http(), me, { tools: ['file_search'] });
    const docx = await docxWith(['Expense policy.', 'Receipts are needed above fifty euros.']);
    const mine = await upload(me, docx, 'expenses.docx', { agent_id: agent.id, tool_resource: 'file_search' });
    const theirs = await upload(me, await docxWith(['Receipts are shredded after ten years.']), 'archive.docx', {
      agent_id: other.id,
      tool_resource: 'file_search',
    });
    await whenReady(me, mine.file_id);
    await whenReady(me, theirs.file_id);
    ctx().fake.script(...callThen('file_search', { query: 'receipts' }, 'call_docx'));
    const { frames } = await chat(me, agent.id, 'When are receipts needed?');
    const output = toolResults(frames)[0].output;
    expect(output).toContain('fifty euros');
    expect(output).not.toContain('shredded');
  });

  it('runs code that reads a CSV and draws a chart, which comes back as a downloadable file', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, { tools: ['code_interpreter'] });
    const csv = Buffer.from('month,sales\nJan,10\nFeb,14\nMar,9\n');
    await upload(me, csv, 'sales.csv', { agent_id: agent.id, tool_resource: 'code_interpreter' });
    const code = [
      'import pandas as pd, matplotlib',
      "matplotlib.use('Agg')",
      'import matplotlib.pyplot as plt',
      "df = pd.read_csv('sales.csv')",
      "print(df['sales'].sum())",
      "df.plot(x='month', y='sales').get_figure().savefig('chart.png')",
    ].join('\n');
    ctx().fake.script(...callThen('code_interpreter', { code }, 'call_code'));
    const { frames, final } = await chat(me, agent.id, 'Chart the sales');
    expect(toolResults(frames)[0].output).toContain('33');
    const file = attachmentsOf(frames).find((a) => a.type === 'file' && a.filename === 'chart.png');
    expect(file).toMatchObject({ mimeType: 'image/png', toolCallId: 'call_code' });
    const png = await http()
      .get(`/api/files/${String(file!.fileId)}/content`)
      .set(me.auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((png.body as Buffer).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(final.responseMessage.attachments).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'file' })]),
    );
  });

  it('generates an image through the images API and stores it as a file', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, { tools: ['dalle'] });
    ctx().fake.script(...callThen('dalle', { prompt: 'a lighthouse at dawn' }, 'call_img'));
    const before = ctx().fake.requests.length;
    const { frames } = await chat(me, agent.id, 'Draw a lighthouse');
    const images = ctx()
      .fake.requests.slice(before)
      .filter((r) => r.path === '/v1/images/generations');
    expect(images).toHaveLength(1);
    expect(images[0].body).toMatchObject({ prompt: 'a lighthouse at dawn' });
    const file = attachmentsOf(frames).find((a) => a.type === 'file');
    expect(file).toMatchObject({ toolCallId: 'call_img' });
    await http()
      .get(`/api/files/${String(file!.fileId)}/content`)
      .set(me.auth)
      .expect(200);
  });

  it('lets a USE-only user chat with an agent whose files it cannot download', async () => {
    const owner = await createUser(http());
    const user = await createUser(http());
    const agent = await createAgent(http(), owner, { tools: ['file_search'] });
    const file = await upload(owner, await pdfWithPages(['The secret recipe uses saffron.']), 'recipe.pdf', {
      agent_id: agent.id,
      tool_resource: 'file_search',
    });
    await whenReady(owner, file.file_id);
    await share(http(), owner, agent.id, { updated: [{ type: 'user', id: user.id, accessRoleId: 'agent_user' }] });
    ctx().fake.script(...callThen('file_search', { query: 'recipe saffron' }, 'call_use'));
    const { frames } = await chat(user, agent.id, 'What is in the recipe?');
    expect(toolResults(frames)[0].output).toContain('saffron');
    await http().get(`/api/files/${file.file_id}/content`).set(user.auth).expect(404);
    await http().get(`/api/files/${file.file_id}/content`).set(owner.auth).expect(200);
  });
}
