/**
 * A real DNS server for the tests (dns2, UDP on a loopback port of its own) serving the test's
 * zone: TXT, A and MX records by name. A name absent from the zone answers NXDOMAIN, a name present
 * without records of the asked type answers NOERROR with no answer (what Node's resolver reports as
 * ENOTFOUND and ENODATA). `silent` names get no answer at all (a server that never answers).
 */
import { createSocket, type Socket } from "node:dgram";
import dns2 from "dns2";

const { Packet } = dns2;

/**
 * A record as dns2 encodes it. Its type declares the class of decoded records (with their methods);
 * the encoder only reads these fields, so a plain object is what the package's own examples push.
 */
type Answer = { name: string; type: number; class: number; ttl: number } & Record<string, unknown>;
const asResource = (answer: Answer) => answer as unknown as InstanceType<typeof Packet.Resource>;

export interface ZoneRecords {
  readonly TXT?: readonly (string | readonly string[])[];
  readonly A?: readonly string[];
  readonly MX?: readonly { readonly exchange: string; readonly priority: number }[];
}

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for SESAME_DNS_SERVERS. */
  readonly server: string;
  readonly zone: Map<string, ZoneRecords>;
  /** Names the server never answers. */
  readonly silent: Set<string>;
  /** Every question asked, in order (`name TYPE`). */
  readonly asked: string[];
  close(): Promise<void>;
}

/** A TXT value split into the 255-byte character-strings DNS carries. */
export function txtChunks(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out;
}

const TYPE_NAMES: Record<number, keyof ZoneRecords | "OTHER"> = {
  [Packet.TYPE.TXT]: "TXT",
  [Packet.TYPE.A]: "A",
  [Packet.TYPE.MX]: "MX",
};

export async function startDnsServer(zone: Record<string, ZoneRecords> = {}): Promise<TestDnsServer> {
  const records = new Map(Object.entries(zone).map(([name, r]) => [name.toLowerCase(), r]));
  const silent = new Set<string>();
  const asked: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const question = request.questions[0];
      if (!question) return;
      const name = question.name.toLowerCase();
      const type = TYPE_NAMES[question.type] ?? "OTHER";
      asked.push(`${name} ${type}`);
      if (silent.has(name)) return;
      const response = Packet.createResponseFromRequest(request);
      const found = records.get(name);
      if (!found) {
        response.header.rcode = 3; // NXDOMAIN
      } else if (type === "TXT") {
        for (const value of found.TXT ?? []) {
          const data = typeof value === "string" ? txtChunks(value) : [...value];
          response.answers.push(
            asResource({ name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data }),
          );
        }
      } else if (type === "A") {
        for (const address of found.A ?? []) {
          response.answers.push(
            asResource({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address }),
          );
        }
      } else if (type === "MX") {
        for (const mx of found.MX ?? []) {
          response.answers.push(
            asResource({
              name: question.name,
              type: Packet.TYPE.MX,
              class: Packet.CLASS.IN,
              ttl: 60,
              exchange: mx.exchange,
              priority: mx.priority,
            }),
          );
        }
      }
      send(response);
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.on("listening", () => {
      const udp = server.addresses().udp;
      resolve(udp ? udp.port : 0);
    });
    server.listen({ udp: { port: 0, address: "127.0.0.1" } });
  });
  return {
    server: `127.0.0.1:${port}`,
    zone: records,
    silent,
    asked,
    close: () => server.close().then(() => undefined),
  };
}

/** A UDP port that takes questions and never answers (a DNS server that is down but reachable). */
export async function startMuteDnsServer(): Promise<{ server: string; close(): Promise<void> }> {
  const socket: Socket = createSocket("udp4");
  socket.on("message", () => {});
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  return { server: `127.0.0.1:${port}`, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** A UDP port that answers every question with bytes that are not DNS. */
export async function startGarbageDnsServer(size = 512): Promise<{ server: string; close(): Promise<void> }> {
  const socket: Socket = createSocket("udp4");
  socket.on("message", (_msg, rinfo) => {
    socket.send(Buffer.alloc(size, 0xa5), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  return { server: `127.0.0.1:${port}`, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
