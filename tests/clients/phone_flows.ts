// The phone app's main flows, typed only by what openapi-typescript generated from the live /openapi.json
// (./schema.d.ts, written next to this file by tests/clients/test_typescript_types.py). `tsc --noEmit` must pass:
// a renamed field, a wrong type or a missing operation in the document breaks the build of a client like this.
import type { components, paths } from "./schema";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type RequestBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type Query<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? Q : never;
type Answer<P extends keyof paths, M extends Method, S extends number> =
  Operation<P, M> extends { responses: { [K in S]: { content: { "application/json": infer B } } } } ? B : never;
type Problem = components["schemas"]["Problem"];

// How the app calls the service (fetch with the bearer token); only its types matter here.
declare function call<P extends keyof paths, M extends Method, S extends number>(
  method: M, path: P, options?: { body?: RequestBody<P, M>; query?: Query<P, M>; token?: string;
                                  params?: Record<string, string> },
): Promise<Answer<P, M, S>>;

export async function phoneFlows(): Promise<void> {
  // Sign in: an administrator's temporary password is refused (403, code password_change_required) ...
  const refused: Problem = await call<"/api/v1/auth/token", "post", 403>("post", "/api/v1/auth/token",
    { body: { email: "agent@example.com", password: "temporary-from-admin" } });
  const code: string | undefined = refused.code;
  // ... so the agent chooses their own, and gets a token pair.
  const pair = await call<"/api/v1/auth/password-change", "post", 200>("post", "/api/v1/auth/password-change",
    { body: { email: "agent@example.com", password: "temporary-from-admin", new_password: "my own passphrase" } });
  const refreshToken: string | undefined = pair.refresh_token;
  const renewed = await call<"/api/v1/auth/refresh", "post", 200>("post", "/api/v1/auth/refresh",
    { token: refreshToken });
  const token: string | undefined = renewed.access_token;

  // A diary entry, then a batch of queued ones.
  const entry = await call<"/api/v1/diary", "post", 201>("post", "/api/v1/diary", { token, body: {
    occurred_at: new Date().toISOString(), emotion: "frustrated", intensity: 7, note: "third angry caller" } });
  const note: string | null | undefined = entry.note;
  const batch = await call<"/api/v1/diary/batch", "post", 200>("post", "/api/v1/diary/batch", { token, body: {
    entries: [{ occurred_at: new Date().toISOString(), emotion: "calm", intensity: 3 }] } });
  const outcomes: (string | undefined)[] = (batch.results ?? []).map((result) => result.status);
  const page = await call<"/api/v1/diary", "get", 200>("get", "/api/v1/diary", { token, query: { limit: 20 } });
  const nextCursor: string | null = page.next_cursor;
  const insights = await call<"/api/v1/diary/insights", "get", 200>("get", "/api/v1/diary/insights",
    { token, query: { days: 90 } });

  // Questionnaires and the risk indicator.
  const offered = await call<"/api/v1/instruments", "get", 200>("get", "/api/v1/instruments", { token });
  const firstId: string | undefined = offered[0]?.id;
  const result = await call<"/api/v1/assessments", "post", 201>("post", "/api/v1/assessments",
    { token, body: { instrument: "burnout1", answers: { "1": 2 } } });
  const risk = await call<"/api/v1/me/risk", "get", 200>("get", "/api/v1/me/risk", { token });

  // Prompts: the inbox, acknowledge one; a prompt not yet acknowledged says so with null.
  const inbox = await call<"/api/v1/me/prompts", "get", 200>("get", "/api/v1/me/prompts", { token });
  const prompt = inbox.items[0];
  const acknowledgedAt: string | null | undefined = prompt?.acknowledged_at;
  const acknowledged = await call<"/api/v1/me/prompts/{prompt_id}/ack", "post", 200>(
    "post", "/api/v1/me/prompts/{prompt_id}/ack", { token, params: { prompt_id: prompt?.id ?? "" } });

  // A push target, and the export of everything the agent owns.
  const device = await call<"/api/v1/me/devices", "post", 201>("post", "/api/v1/me/devices",
    { token, body: { channel: "webhook", url: "https://push.example.com/hook", secret: "a secret of 16+ chars" } });
  const disabledAt: string | null | undefined = device.disabled_at;
  const exported = await call<"/api/v1/me/export", "get", 200>("get", "/api/v1/me/export", { token });

  // The generated types are strict, not `any`: these must not compile.
  // @ts-expect-error an access token is a string
  const wrong: number | undefined = renewed.access_token;
  // @ts-expect-error a prompt's acknowledged_at may be null
  const notNullable: string | undefined = prompt?.acknowledged_at;
  // @ts-expect-error a diary entry takes no "mood" field
  await call<"/api/v1/diary", "post", 201>("post", "/api/v1/diary", { token, body: { occurred_at: "", emotion: "calm", intensity: 3, mood: 1 } });

  console.log(code, note, outcomes, nextCursor, insights, firstId, result, risk, acknowledgedAt, acknowledged,
              disabledAt, exported, wrong, notNullable);
}
