import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { loaderOptions, protoFiles } from "./protos.ts";

/**
 * Server reflection serves the descriptors proto-loader derives from the .proto files. Two things in them break
 * other languages' tools (grpcurl, Go's protodesc): field names come camelCased unless loaded with keepCase, and
 * protobufjs names a map's entry type after the field ("Instruments") where protobuf requires the field's
 * CamelCase name plus "Entry" ("InstrumentsEntry"). The wire is the same either way (field numbers), so
 * reflection gets its own keepCase load with the entry names put right.
 */

interface FieldDescriptor {
  name?: string;
  typeName?: string;
}
interface MessageDescriptor {
  name?: string;
  field?: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean };
}
interface FileDescriptor {
  messageType?: MessageDescriptor[];
}

/** protoc's name for the entry type of map field `field`: "order_rates" → "OrderRatesEntry". */
export const mapEntryName = (field: string): string =>
  `${field.replace(/_+([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/^[a-z]/, (c) => c.toUpperCase())}Entry`;

function renameMapEntries(message: MessageDescriptor): void {
  for (const nested of message.nestedType ?? []) renameMapEntries(nested);
  for (const entry of message.nestedType ?? []) {
    if (!entry.options?.mapEntry) continue;
    const field = message.field?.find((f) => f.typeName === entry.name || f.typeName?.endsWith(`.${message.name}.${entry.name}`));
    if (!field?.name || !field.typeName) throw new Error(`reflection: map entry ${message.name}.${entry.name} has no field`);
    const name = mapEntryName(field.name);
    field.typeName = field.typeName.slice(0, field.typeName.length - entry.name!.length) + name;
    entry.name = name;
  }
}

function fixFile(bytes: Buffer): Buffer {
  const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as FileDescriptor;
  for (const m of file.messageType ?? []) renameMapEntries(m);
  return Buffer.from(descriptor.FileDescriptorProto.encode(file as never).finish());
}

/** The package definition reflection serves: names as in the .proto files, map entries named as protoc does. */
export function reflectionDefinition(): protoLoader.PackageDefinition {
  const loaded = protoLoader.loadSync(protoFiles, { ...loaderOptions, keepCase: true });
  const fixed = new Map<Buffer, Buffer>();
  const fix = (b: Buffer) => fixed.get(b) ?? fixed.set(b, fixFile(b)).get(b)!;
  const out: protoLoader.PackageDefinition = {};
  for (const [name, entry] of Object.entries(loaded)) {
    const protos = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    out[name] = Array.isArray(protos) ? ({ ...entry, fileDescriptorProtos: protos.map(fix) } as protoLoader.AnyDefinition) : entry;
  }
  return out;
}

export function addReflection(server: grpc.Server): void {
  new ReflectionService(reflectionDefinition()).addToServer(server);
}
