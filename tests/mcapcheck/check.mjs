// Opens each MCAP file given on the command line with the independent reader @mcap/core:
// McapIndexedReader (summary, chunk indexes, CRCs validated) and McapStreamReader (every
// record, CRCs validated), decodes protobuf messages with @mcap/support, and prints one JSON
// object per file: counts per topic, first/last log time, the first and last message
// decoded, and the problems found. Exits 1 if any file has a problem.
//
//   node tests/mcapcheck/check.mjs FILE.mcap...
import { open } from "node:fs/promises";
import { readFile } from "node:fs/promises";

import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { loadDecompressHandlers, protobufFromBinaryDescriptor } from "@mcap/support";

const decompressHandlers = await loadDecompressHandlers();

// A seekable source for McapIndexedReader.
async function fileReadable(path) {
  const handle = await open(path, "r");
  const { size } = await handle.stat();
  return {
    handle,
    readable: {
      size: async () => BigInt(size),
      read: async (offset, length) => {
        const buffer = new Uint8Array(Number(length));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, Number(offset));
        if (bytesRead !== buffer.length) throw new Error(`short read at ${offset}`);
        return buffer;
      },
    },
  };
}

// Decodes protobuf payloads by their channel's schema; other encodings give their size.
function makeDecoder(schemasById, channelsById) {
  const types = new Map();
  return (channelId, data) => {
    const channel = channelsById.get(channelId);
    if (!channel) throw new Error(`message on unknown channel ${channelId}`);
    if (channel.messageEncoding !== "protobuf") return { bytes: data.length };
    let type = types.get(channelId);
    if (!type) {
      const schema = schemasById.get(channel.schemaId);
      if (!schema) throw new Error(`channel ${channel.topic} has no schema ${channel.schemaId}`);
      type = protobufFromBinaryDescriptor(schema.data).lookupType(schema.name);
      types.set(channelId, type);
    }
    return type.toObject(type.decode(data), { longs: String, enums: String, defaults: true });
  };
}

function noteMessage(topics, topic, message, decode) {
  let entry = topics[topic];
  if (!entry) {
    entry = topics[topic] = { count: 0, first_log_time: null, last_log_time: null };
  }
  entry.count += 1;
  const t = message.logTime;
  if (entry.first_log_time === null || t < BigInt(entry.first_log_time)) {
    entry.first_log_time = t.toString();
    if (decode) entry.first = decode(message.channelId, message.data);
  }
  if (entry.last_log_time === null || t >= BigInt(entry.last_log_time)) {
    entry.last_log_time = t.toString();
    if (decode) entry.last = decode(message.channelId, message.data);
  }
}

async function checkIndexed(path, result) {
  const { handle, readable } = await fileReadable(path);
  try {
    const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers });
    const decode = makeDecoder(reader.schemasById, reader.channelsById);
    const topics = {};
    for await (const message of reader.readMessages({ validateCrcs: true })) {
      noteMessage(topics, reader.channelsById.get(message.channelId).topic, message, decode);
    }
    let metadata = 0;
    for await (const _ of reader.readMetadata()) metadata += 1;
    const stats = reader.statistics;
    result.indexed = {
      topics,
      chunks: reader.chunkIndexes.length,
      metadata,
      statistics: stats && {
        message_count: stats.messageCount.toString(),
        message_start_time: stats.messageStartTime.toString(),
        message_end_time: stats.messageEndTime.toString(),
      },
    };
    if (stats) {
      let total = 0n;
      for (const [channelId, count] of stats.channelMessageCounts) {
        const topic = reader.channelsById.get(channelId)?.topic;
        const seen = BigInt(topics[topic]?.count ?? 0);
        if (seen !== count) {
          result.problems.push(`statistics count ${count} for ${topic} but ${seen} read`);
        }
        total += count;
      }
      if (total !== stats.messageCount) {
        result.problems.push(`statistics: ${stats.messageCount} messages, channels sum ${total}`);
      }
    } else {
      result.problems.push("no Statistics record in the summary");
    }
  } catch (error) {
    result.problems.push(`McapIndexedReader: ${error.message}`);
  } finally {
    await handle.close();
  }
}

async function checkStream(path, result) {
  try {
    const reader = new McapStreamReader({ decompressHandlers, validateCrcs: true });
    reader.append(new Uint8Array(await readFile(path)));
    const schemas = new Map();
    const channels = new Map();
    const topics = {};
    let sawFooter = false;
    for (let record; (record = reader.nextRecord()); ) {
      if (record.type === "Schema") schemas.set(record.id, record);
      else if (record.type === "Channel") channels.set(record.id, record);
      else if (record.type === "Message") {
        noteMessage(topics, channels.get(record.channelId)?.topic ?? "?", record, null);
      } else if (record.type === "Footer") sawFooter = true;
    }
    if (!reader.done()) result.problems.push("McapStreamReader: the file ends before its footer");
    if (!sawFooter) result.problems.push("McapStreamReader: no footer");
    result.stream = { topics };
  } catch (error) {
    result.problems.push(`McapStreamReader: ${error.message}`);
  }
}

let failed = false;
for (const path of process.argv.slice(2)) {
  const result = { file: path, problems: [] };
  await checkIndexed(path, result);
  await checkStream(path, result);
  if (result.indexed && result.stream) {
    const topics = new Set([
      ...Object.keys(result.indexed.topics),
      ...Object.keys(result.stream.topics),
    ]);
    for (const topic of topics) {
      const a = result.indexed.topics[topic];
      const b = result.stream.topics[topic];
      if (a?.count !== b?.count || a?.first_log_time !== b?.first_log_time ||
          a?.last_log_time !== b?.last_log_time) {
        result.problems.push(`${topic}: the indexed and stream readers disagree`);
      }
    }
  }
  if (result.problems.length > 0) failed = true;
  console.log(JSON.stringify(result));
}
process.exit(failed ? 1 : 0);
