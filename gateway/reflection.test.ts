import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import t from "tap";
import { protoFiles, protoRoot } from "./protos.ts";
import { addReflection, mapEntryName } from "./reflection.ts";

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_message: string };
}
type ReflectionStream = grpc.ClientDuplexStream<Record<string, string>, ReflectionResponse>;

/** A reflection client as grpcurl is one: it knows nothing but the reflection protocol. */
async function reflect(address: string, requests: Record<string, string>[]): Promise<ReflectionResponse[]> {
  const def = protoLoader.loadSync("node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto", { keepCase: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<ReflectionResponse[]>((resolve, reject) => {
      const stream = (client as unknown as { ServerReflectionInfo(): ReflectionStream }).ServerReflectionInfo();
      const answers: ReflectionResponse[] = [];
      stream.on("data", (r: ReflectionResponse) => {
        answers.push(r);
        if (answers.length === requests.length) stream.end();
      });
      stream.on("end", () => resolve(answers));
      stream.on("error", reject);
      for (const r of requests) stream.write(r);
    });
  } finally {
    client.close();
  }
}

interface MessageProto {
  name: string;
  field?: { name: string; number: number; typeName?: string }[];
  nestedType?: MessageProto[];
  options?: { mapEntry?: boolean };
}

/** What Go's protodesc checks about maps: each entry is named after its field, as protoc names it. */
function mapEntryProblems(message: MessageProto, scope: string): string[] {
  const problems = (message.nestedType ?? []).flatMap((n) => mapEntryProblems(n, `${scope}.${message.name}`));
  for (const entry of message.nestedType ?? []) {
    if (!entry.options?.mapEntry) continue;
    const field = message.field?.find((f) => f.typeName === entry.name || f.typeName?.endsWith(`.${entry.name}`));
    if (!field) problems.push(`${scope}.${message.name}.${entry.name}: map entry without a field`);
    else if (entry.name !== mapEntryName(field.name))
      problems.push(`${scope}.${message.name}.${field.name}: entry ${entry.name}, expected ${mapEntryName(field.name)}`);
  }
  return problems;
}

t.test("reflection serves descriptors a tool can build a pool from, with field and map entry names as protoc writes them", async (t) => {
  const server = new grpc.Server();
  addReflection(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  t.teardown(() => server.forceShutdown());
  const address = `127.0.0.1:${port}`;

  const [listed] = await reflect(address, [{ list_services: "*" }]);
  const services = (listed?.list_services_response?.service ?? []).map((s) => s.name).filter((n) => n.startsWith("alphamind.v1."));
  t.same(
    services.sort(),
    ["Admin", "Backtests", "MarketData", "Models", "Portfolio", "Risk", "Strategies", "Trading"].map((s) => `alphamind.v1.${s}`),
  );

  const answers = await reflect(
    address,
    services.map((s) => ({ file_containing_symbol: s })),
  );
  const files = new Map<string, Buffer>();
  for (const a of answers) {
    t.notOk(a.error_response, a.error_response?.error_message ?? "a descriptor for each service");
    for (const b of a.file_descriptor_response?.file_descriptor_proto ?? []) {
      const f = descriptor.FileDescriptorProto.decode(b) as unknown as { name: string };
      files.set(f.name, b);
    }
  }
  const decoded = [...files.values()].map(
    (b) => descriptor.FileDescriptorProto.decode(b) as unknown as { name: string; package: string; messageType?: MessageProto[] },
  );
  t.same(
    decoded.flatMap((f) => (f.messageType ?? []).flatMap((m) => mapEntryProblems(m, f.package))),
    [],
    "every map entry is named <Field>Entry",
  );

  // The pool: every service resolves with its request and response types.
  const pool = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor({ file: decoded });
  pool.resolveAll();
  for (const name of services) {
    const service = pool.lookupService(name);
    t.ok(Object.keys(service.methods).length > 0, `${name} has its methods`);
    for (const m of Object.values(service.methods)) t.ok(m.resolvedRequestType && m.resolvedResponseType, `${name}.${m.name} resolves`);
  }

  // Field names and numbers as in the .proto files, for every message of the package.
  const source = new protobuf.Root();
  source.resolvePath = (_origin, target) => (target.startsWith("/") ? target : `${protoRoot}/${target}`);
  source.loadSync(
    protoFiles.filter((f) => f.startsWith("alphamind/")),
    { keepCase: true },
  );
  const mismatched: string[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) {
        const served = pool.lookupType(nested.fullName);
        for (const f of nested.fieldsArray)
          if (served.fields[f.name]?.id !== f.id) mismatched.push(`${nested.fullName}.${f.name} = ${f.id}`);
      }
      if (nested instanceof protobuf.Namespace) walk(nested);
    }
  };
  walk(source.lookup("alphamind.v1") as protobuf.Namespace);
  t.same(mismatched, [], "every field served under its .proto name and number");

  // The tool itself, where it is installed.
  let grpcurl = true;
  try {
    execFileSync("grpcurl", ["-version"], { stdio: "ignore" });
  } catch {
    grpcurl = false;
  }
  await t.test("grpcurl describe works on every service", { skip: grpcurl ? false : "grpcurl is not on PATH" }, async (t) => {
    // Asynchronously: the server under test answers from this process's event loop.
    for (const s of services) {
      const { stdout } = await promisify(execFile)("grpcurl", ["-plaintext", "-connect-timeout", "30", address, "describe", s], {
        encoding: "utf8",
      });
      t.match(stdout, `service ${s.split(".").pop()}`, s);
    }
    const { stdout } = await promisify(execFile)(
      "grpcurl",
      ["-plaintext", "-connect-timeout", "30", address, "describe", "alphamind.v1.RiskLimits"],
      { encoding: "utf8" },
    );
    t.match(stdout, "map<string, .alphamind.v1.InstrumentLimits> instruments = 4;", "a map field as the .proto writes it");
  });
});
