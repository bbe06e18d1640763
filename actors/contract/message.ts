import type { z } from "zod";

/**
 * One schema per message type. The TypeScript type is derived from it, the codec validates input from outside
 * the runtime against it, and the reference page of messages is generated from the registry.
 */
export interface MessageDef<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  version: number;
  schema: S;
  doc: string;
}

export type MessageOf<D extends MessageDef> = z.output<D["schema"]>;

const registry = new Map<string, MessageDef>();

export function defineMessage<T extends string, S extends z.ZodType>(type: T, version: number, schema: S, doc: string): MessageDef<T, S> {
  const existing = registry.get(type);
  if (existing && existing.schema !== schema) throw new Error(`message type ${type} is defined twice`);
  const def = { type, version, schema, doc };
  registry.set(type, def);
  return def;
}

export const messageDef = (type: string): MessageDef | undefined => registry.get(type);
export const allMessageDefs = (): MessageDef[] => [...registry.values()].sort((a, b) => a.type.localeCompare(b.type));
