#include "pipeline/numbers.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>

namespace pipeline {

namespace {

struct Scale {
  std::string_view word;
  double factor;
};

struct LanguageNumbers {
  std::string_view language;
  char decimal_mark;
  std::vector<Scale> scales;
  std::array<std::string_view, 13> words; // 0..12 spelled out, for small figures
};

const std::vector<LanguageNumbers>& conventions() {
  static const std::vector<LanguageNumbers> table = {
    {"en", '.', {{"thousand", 1e3}, {"million", 1e6}, {"millions", 1e6}, {"mn", 1e6}, {"billion", 1e9},
                 {"billions", 1e9}, {"bn", 1e9}, {"trillion", 1e12}},
     {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}},
    {"de", ',', {{"tausend", 1e3}, {"mio", 1e6}, {"mio.", 1e6}, {"million", 1e6}, {"millionen", 1e6},
                 {"mrd", 1e9}, {"mrd.", 1e9}, {"milliarde", 1e9}, {"milliarden", 1e9}, {"billion", 1e12},
                 {"billionen", 1e12}},
     {"null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"}},
    {"fr", ',', {{"mille", 1e3}, {"million", 1e6}, {"millions", 1e6}, {"milliard", 1e9}, {"milliards", 1e9}},
     {"zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze"}},
    {"es", ',', {{"mil", 1e3}, {"millón", 1e6}, {"millones", 1e6}, {"billón", 1e12}},
     {"cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce"}},
    {"it", ',', {{"mila", 1e3}, {"milione", 1e6}, {"milioni", 1e6}, {"miliardo", 1e9}, {"miliardi", 1e9}},
     {"zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci", "undici", "dodici"}},
    {"nl", ',', {{"duizend", 1e3}, {"miljoen", 1e6}, {"mln", 1e6}, {"miljard", 1e9}, {"mld", 1e9}},
     {"nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf", "twaalf"}},
    {"pt", ',', {{"mil", 1e3}, {"milhão", 1e6}, {"milhões", 1e6}, {"bilhão", 1e9}, {"bilhões", 1e9}},
     {"zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez", "onze", "doze"}},
    {"pl", ',', {{"tys", 1e3}, {"tys.", 1e3}, {"mln", 1e6}, {"milion", 1e6}, {"milionów", 1e6}, {"mld", 1e9},
                 {"miliard", 1e9}, {"miliardów", 1e9}},
     {"zero", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć", "dziesięć",
      "jedenaście", "dwanaście"}},
  };
  return table;
}

// Languages not in the table: a decimal point and English scale words.
const LanguageNumbers& numbers_for(const std::string& language) {
  for (const auto& l : conventions()) {
    if (l.language == language) return l;
  }
  return conventions().front();
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "2.500" (German) or "2,500" (English) is 2500; "1,3" or "1.3" is 1.3;
// "1.234,56" is 1234.56. Several equal marks not all before three digits
// ("30.01.2025", "1.2.3") are not a number: NAN.
double parse_token(std::string_view token, char decimal_mark) {
  std::vector<size_t> marks;
  for (size_t i = 0; i < token.size(); ++i) {
    if (!is_digit(token[i])) marks.push_back(i);
  }
  auto group_after = [&](size_t k) {
    const size_t end = k + 1 < marks.size() ? marks[k + 1] : token.size();
    return end - marks[k] - 1;
  };
  std::string plain;
  const char thousands = decimal_mark == ',' ? '.' : ',';
  for (size_t k = 0, start = 0; k <= marks.size(); ++k) {
    const size_t end = k < marks.size() ? marks[k] : token.size();
    plain.append(token.substr(start, end - start));
    if (k == marks.size()) break;
    const char mark = token[marks[k]];
    const bool last = k + 1 == marks.size();
    const bool grouped = group_after(k) == 3;
    if (!last && mark == token[marks.back()] && !grouped) return NAN;  // a date or a version
    if (last && !(grouped && (mark == thousands || marks.size() > 1))) plain += '.';
    start = end + 1;
  }
  return std::strtod(plain.c_str(), nullptr);
}

std::string next_word(std::string_view text, size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text.substr(pos).starts_with("\xC2\xA0") ||
                               text.substr(pos).starts_with("\xE2\x80\xAF"))) {
    pos += text[pos] == ' ' ? 1 : (text[pos] == '\xC2' ? 2 : 3);
  }
  size_t end = pos;
  while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != ';' && text[end] != ')' &&
         text[end] != '\n' && !is_digit(text[end])) {
    ++end;
  }
  return util::lower_utf8(text.substr(pos, end - pos));
}

bool same(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)); }

} // namespace

std::vector<NumberMention> find_numbers(std::string_view text, const std::string& language) {
  const LanguageNumbers& conv = numbers_for(language);
  std::vector<NumberMention> out;
  for (size_t i = 0; i < text.size();) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && (is_digit(text[end]) || ((text[end] == '.' || text[end] == ',') &&
                                                         end + 1 < text.size() && is_digit(text[end + 1])))) {
      ++end;
    }
    const std::string_view token = text.substr(i, end - i);
    const double value = parse_token(token, conv.decimal_mark);
    if (!std::isnan(value)) {
      NumberMention m{value, value, std::string(token)};
      std::string word = next_word(text, end);
      while (!word.empty() && (word.back() == '.' || word.back() == ':') &&
             std::ranges::none_of(conv.scales, [&](const Scale& s) { return s.word == word; })) {
        word.pop_back();
      }
      for (const Scale& s : conv.scales) {
        if (s.word == word) {
          m.scaled = value * s.factor;
          m.text += " " + std::string(text.substr(end, text.find_first_of(" ,;)\n", end + 1) - end)).substr(1);
          break;
        }
      }
      out.push_back(std::move(m));
    }
    i = end;
  }
  return out;
}

std::vector<std::string> lost_numbers(std::string_view source, const std::string& source_language,
                                      std::string_view translation, const std::string& target_language) {
  const auto have = find_numbers(translation, target_language);
  const LanguageNumbers& target = numbers_for(target_language);
  std::optional<std::vector<std::string>> words; // only when a small number is missing
  std::vector<std::string> lost;
  for (const NumberMention& m : find_numbers(source, source_language)) {
    // Both with a scale word: the scaled values must agree ("1,3 Millionen"
    // is not "1.3 billion"). One without: a range's first figure ("60 bis 65
    // Milliarden") or a number written out ("1,300,000") matches.
    const bool found = std::ranges::any_of(have, [&](const NumberMention& h) {
      if (same(h.scaled, m.scaled)) return true;
      const bool both_scaled = h.scaled != h.value && m.scaled != m.value;
      return !both_scaled && (same(h.value, m.value) || same(h.value, m.scaled) || same(h.scaled, m.value));
    });
    // "zwei Jahre" may be "two years", and "2 Jahre" may be too.
    if (found) continue;
    const bool small = m.value == m.scaled && m.value >= 0 && m.value <= 12 && m.value == std::floor(m.value);
    if (small && !words) words = util::lower_words(translation);
    if (!small || std::ranges::find(*words, target.words[static_cast<size_t>(m.value)]) == words->end()) {
      lost.push_back(m.text);
    }
  }
  return lost;
}

} // namespace pipeline
