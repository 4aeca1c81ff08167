// The prompt files, one per task, rendered into chat messages.
//
// File format: sections introduced by a line "--- system" or "--- user"; the
// text below is the message content. Variables are written {{name}}; the
// known ones are source_language, target_language, title, text, context (the
// article's title and lead), glossary (the entries found in the text), length
// (of a summary) and problems (for repair). An unknown variable or a file
// without a user section is an error naming file and line.
//
// repair.md is the one exception to "one request per file": its messages are
// appended to the translate request and the first answer, to ask once more.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace prompt {

enum class Task { translate, summarize, summarize_article, repair };
inline constexpr std::array k_tasks = {Task::translate, Task::summarize, Task::summarize_article,
                                       Task::repair};

const char* task_name(Task task);

struct Message {
  std::string role;                   // "system" or "user"
  std::string content;
};

struct Vars {
  std::string source_language;
  std::string target_language;
  std::string title;
  std::string text;
  std::string context;
  std::string glossary;
  std::string length;
  std::string problems;
};

class PromptSet {
public:
  // Loads <dir>/translate.md, summarize.md, summarize_article.md and repair.md; throws
  // util::Error naming the file (and line) of any problem.
  static PromptSet load(const std::filesystem::path& dir);

  std::vector<Message> render(Task task, const Vars& vars) const;
  // SHA-256 of the template file's contents, for provenance.
  const std::string& hash(Task task) const;

  struct Part {
    std::string role;
    std::string text;
  };
  struct Template {
    std::filesystem::path file;
    std::string hash;
    std::vector<Part> parts;
  };

  static Template parse(const std::filesystem::path& file, const std::string& content);

private:
  std::array<Template, k_tasks.size()> m_templates;
};

} // namespace prompt
