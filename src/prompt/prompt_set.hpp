// The prompt files, one per task, rendered into chat messages.
//
// File format: sections introduced by a line "--- system" or "--- user"; the
// text below is the message content. Variables are written {{name}}; the
// known ones are source_language, target_language, title and text. An unknown
// variable or a file without a user section is an error naming file and line.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace prompt {

enum class Task { translate, summarize, summarize_article };
inline constexpr std::array k_tasks = {Task::translate, Task::summarize, Task::summarize_article};

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
};

class PromptSet {
public:
  // Loads <dir>/translate.md, summarize.md and summarize_article.md; throws
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
