// The hand-written alternative to lingopipe for scripts/bench_compare.sh:
// send every request of a JSONL file (model, messages, max_tokens) through
// the official openai client, at most CONCURRENCY at a time, and save the
// answers. Usage: node client.mjs REQUESTS.jsonl CONCURRENCY OUT.json
import OpenAI from "openai";
import pLimit from "p-limit";
import { readFileSync, writeFileSync } from "node:fs";

const [requestsFile, concurrency, outFile] = process.argv.slice(2);
const requests = readFileSync(requestsFile, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line));
const client = new OpenAI({ baseURL: process.env.LINGOPIPE_BASE_URL, apiKey: "unused" });
const limit = pLimit(Number(concurrency));
const answers = await Promise.all(
  requests.map((r) =>
    limit(async () => {
      const completion = await client.chat.completions.create({
        model: r.model,
        messages: r.messages,
        max_tokens: r.max_tokens,
        temperature: 0.2,
      });
      return { content: completion.choices[0].message.content, usage: completion.usage };
    }),
  ),
);
writeFileSync(outFile, JSON.stringify(answers));
console.error(`node client: ${answers.length} answers`);
