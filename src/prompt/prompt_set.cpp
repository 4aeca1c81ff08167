#include "prompt/prompt_set.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace prompt {

namespace {

constexpr std::array<std::string_view, 8> k_vars = {"source_language", "target_language", "title",
                                                    "text", "context", "glossary", "length", "problems"};

const std::string& value_of(std::string_view name, const Vars& v) {
  if (name == "source_language") return v.source_language;
  if (name == "target_language") return v.target_language;
  if (name == "title") return v.title;
  if (name == "context") return v.context;
  if (name == "glossary") return v.glossary;
  if (name == "length") return v.length;
  if (name == "problems") return v.problems;
  return v.text;
}

void check_variables(const fs::path& file, int line_no, std::string_view line) {
  size_t pos = 0;
  while ((pos = line.find("{{", pos)) != std::string_view::npos) {
    size_t end = line.find("}}", pos);
    if (end == std::string_view::npos) {
      throw util::Error(fmt::format("{}:{}: unclosed '{{{{'; write variables as {{{{name}}}}",
                                    file.string(), line_no));
    }
    std::string_view name = util::trim(line.substr(pos + 2, end - pos - 2));
    if (std::ranges::find(k_vars, name) == k_vars.end()) {
      throw util::Error(fmt::format(
        "{}:{}: unknown variable '{{{{{}}}}}'; known: source_language, target_language, title, text, "
        "context, glossary, length, problems",
        file.string(), line_no, name));
    }
    pos = end + 2;
  }
}

std::string substitute(const std::string& text, const Vars& vars) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) {
      out.append(text, pos);
      return out;
    }
    size_t close = text.find("}}", open);
    out.append(text, pos, open - pos);
    std::string_view name = util::trim(std::string_view(text).substr(open + 2, close - open - 2));
    out += value_of(name, vars);
    pos = close + 2;
  }
}

} // namespace

const char* task_name(Task task) {
  switch (task) {
  case Task::translate: return "translate";
  case Task::summarize: return "summarize";
  case Task::summarize_article: return "summarize_article";
  case Task::repair: return "repair";
  }
  return "translate";
}

PromptSet::Template PromptSet::parse(const fs::path& file, const std::string& content) {
  Template t;
  t.file = file;
  t.hash = util::sha256_hex(content);
  int line_no = 0;
  for (auto line : util::split_lines(content)) {
    ++line_no;
    if (line.starts_with("--- ")) {
      std::string role(util::trim(line.substr(4)));
      if (role != "system" && role != "user") {
        throw util::Error(fmt::format("{}:{}: unknown section '--- {}'; use '--- system' or "
                                      "'--- user'",
                                      file.string(), line_no, role));
      }
      t.parts.push_back({role, ""});
      continue;
    }
    if (t.parts.empty()) {
      if (util::trim(line).empty() || line.starts_with('#')) {
        continue; // comments and blank lines before the first section
      }
      throw util::Error(fmt::format("{}:{}: text before the first '--- system' or '--- user' line",
                                    file.string(), line_no));
    }
    check_variables(file, line_no, line);
    t.parts.back().text += std::string(line) + "\n";
  }
  for (auto& part : t.parts) {
    part.text = std::string(util::trim(part.text));
  }
  if (std::ranges::none_of(t.parts, [](const Part& p) { return p.role == "user"; })) {
    throw util::Error(fmt::format("{}: no '--- user' section; the user message is required",
                                  file.string()));
  }
  return t;
}

PromptSet PromptSet::load(const fs::path& dir) {
  PromptSet set;
  for (Task task : k_tasks) {
    fs::path file = dir / (std::string(task_name(task)) + ".md");
    if (!fs::exists(file)) {
      throw util::Error(fmt::format("{}: prompt file missing; every task needs one (translate.md, "
                                    "summarize.md, summarize_article.md, repair.md in {})",
                                    file.string(), dir.string()));
    }
    set.m_templates[static_cast<size_t>(task)] = parse(file, util::read_file(file));
  }
  return set;
}

std::vector<Message> PromptSet::render(Task task, const Vars& vars) const {
  std::vector<Message> messages;
  for (const Part& part : m_templates[static_cast<size_t>(task)].parts) {
    messages.push_back({part.role, substitute(part.text, vars)});
  }
  return messages;
}

const std::string& PromptSet::hash(Task task) const {
  return m_templates[static_cast<size_t>(task)].hash;
}

} // namespace prompt
