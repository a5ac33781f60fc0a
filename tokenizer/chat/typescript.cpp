#include "chat/typescript.hpp"

#include <set>

namespace tokcount::chat::detail {
namespace {

const std::string* str_member(const Json& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const auto it = v.find(key);
  if (it == v.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

const Json* member(const Json& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}

// ---- hmarr dialect -------------------------------------------------------------------------
// Lines as in openai-chat-tokens' formatter: descriptions only at the top level (indent < 2),
// nested objects indented by 2 per level with the closing brace unindented, enums inline.
// Types it has no case for (missing "type", type arrays, unknown names) render as `any`
// where JavaScript would have printed `undefined`.

std::string hmarr_type(const Json& param, int indent);

std::string hmarr_object_properties(const Json& obj, int indent) {
  std::vector<std::string> lines;
  const Json* props = member(obj, "properties");
  const Json* required = member(obj, "required");
  auto is_required = [&](const std::string& name) {
    if (required == nullptr || !required->is_array()) return false;
    for (const Json& r : *required)
      if (r.is_string() && r.get_ref<const std::string&>() == name) return true;
    return false;
  };
  if (props != nullptr && props->is_object()) {
    for (const auto& [name, param] : props->items()) {
      const std::string* desc = str_member(param, "description");
      if (desc != nullptr && !desc->empty() && indent < 2) lines.push_back("// " + *desc);
      lines.push_back(name + (is_required(name) ? ": " : "?: ") + hmarr_type(param, indent) + ",");
    }
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out.append(static_cast<std::size_t>(indent), ' ');
    out += lines[i];
  }
  return out;
}

std::string hmarr_enum(const Json& values, bool quote) {
  std::string out;
  bool first = true;
  for (const Json& v : values) {
    if (!first) out += " | ";
    first = false;
    out += quote ? "\"" + js_to_string(v) + "\"" : js_to_string(v);
  }
  return out;
}

std::string hmarr_type(const Json& param, int indent) {
  if (const Json* any_of = member(param, "anyOf"); any_of != nullptr && any_of->is_array()) {
    std::string out;
    bool first = true;
    for (const Json& v : *any_of) {
      if (!first) out += " | ";
      first = false;
      out += hmarr_type(v, indent);
    }
    return out;
  }
  const std::string* type = str_member(param, "type");
  if (type == nullptr) return "any";
  const Json* enum_values = member(param, "enum");
  const bool has_enum = enum_values != nullptr && enum_values->is_array();
  if (*type == "string") return has_enum ? hmarr_enum(*enum_values, true) : "string";
  if (*type == "number" || *type == "integer") return has_enum ? hmarr_enum(*enum_values, false) : "number";
  if (*type == "boolean") return "boolean";
  if (*type == "null") return "null";
  if (*type == "object") return "{\n" + hmarr_object_properties(param, indent + 2) + "\n}";
  if (*type == "array") {
    const Json* items = member(param, "items");
    return items != nullptr && !items->is_null() ? hmarr_type(*items, indent) + "[]" : "any[]";
  }
  return "any";
}

// ---- harmony dialect -----------------------------------------------------------------------

bool is_enum(const Json& schema) {
  const Json* e = member(schema, "enum");
  return e != nullptr && e->is_array() && !e->empty();
}

bool is_nullable(const Json& schema) {
  const Json* n = member(schema, "nullable");
  return n != nullptr && n->is_boolean() && n->get<bool>();
}

// "default: ..." as each of harmony's three places words it. `enum_raw`: string defaults of
// enum schemas print raw (property level) rather than JSON-quoted (top-level oneOf).
std::string default_text(const Json& def, const Json& owner, bool enum_raw) {
  if (def.is_string() && !is_enum(owner)) return "default: \"" + def.get<std::string>() + "\"";
  if (def.is_string() && enum_raw) return "default: " + def.get<std::string>();
  return "default: " + serde_json_compact(def);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace

std::string functions_namespace(const std::vector<ParsedFunction>& functions) {
  std::vector<std::string> lines = {"namespace functions {", ""};
  for (const ParsedFunction& f : functions) {
    if (f.description && !f.description->empty()) lines.push_back("// " + *f.description);
    const Json* props = member(f.parameters, "properties");
    if (props != nullptr && props->is_object() && !props->empty()) {
      lines.push_back("type " + f.name + " = (_: {");
      lines.push_back(hmarr_object_properties(f.parameters, 0));
      lines.push_back("}) => any;");
    } else {
      lines.push_back("type " + f.name + " = () => any;");
    }
    lines.push_back("");
  }
  lines.push_back("} // namespace functions");
  return join(lines, "\n");
}

std::vector<std::string> rust_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    std::size_t end = nl == std::string::npos ? s.size() : nl;
    std::size_t line_end = end;
    if (nl != std::string::npos && line_end > start && s[line_end - 1] == '\r') --line_end;
    out.push_back(s.substr(start, line_end - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string harmony_schema_to_typescript(const Json& schema, const std::string& indent) {
  // Top-level oneOf.
  if (const Json* one_of = member(schema, "oneOf"); one_of != nullptr && one_of->is_array()) {
    std::string out;
    for (const Json& variant : *one_of) {
      out += "\n" + indent + " | ";
      std::string type_str = harmony_schema_to_typescript(variant, indent + "   ");
      if (is_nullable(variant) && type_str.find("null") == std::string::npos) type_str += " | null";
      out += type_str;
      std::vector<std::string> trailing;
      if (const std::string* d = str_member(variant, "description")) trailing.push_back(*d);
      if (const Json* def = member(variant, "default")) trailing.push_back(default_text(*def, variant, false));
      if (!trailing.empty()) out += " // " + join(trailing, " ");
    }
    return out;
  }
  const Json* type = member(schema, "type");
  if (type != nullptr && type->is_array()) {
    std::vector<std::string> types;
    for (const Json& t : *type)
      if (t.is_string()) types.push_back(t.get<std::string>() == "integer" ? "number" : t.get<std::string>());
    if (!types.empty()) return join(types, " | ");
  }
  if (type != nullptr && type->is_string()) {
    const std::string& ty = type->get_ref<const std::string&>();
    if (ty == "object") {
      std::string out;
      if (const std::string* d = str_member(schema, "description")) out += indent + "// " + *d + "\n";
      out += "{\n";
      const Json* props = member(schema, "properties");
      if (props != nullptr && props->is_object()) {
        std::set<std::string> required;
        if (const Json* req = member(schema, "required"); req != nullptr && req->is_array())
          for (const Json& r : *req)
            if (r.is_string()) required.insert(r.get<std::string>());
        for (const auto& [key, val] : props->items()) {
          const char* optional = required.count(key) ? "" : "?";
          if (const std::string* title = str_member(val, "title"))
            out += indent + "// " + *title + "\n" + indent + "//\n";
          const Json* one_of = member(val, "oneOf");
          if (one_of == nullptr)
            if (const std::string* d = str_member(val, "description")) out += indent + "// " + *d + "\n";
          if (const Json* ex = member(val, "examples"); ex != nullptr && ex->is_array() && !ex->empty()) {
            out += indent + "// Examples:\n";
            for (const Json& e : *ex)
              if (e.is_string()) out += indent + "// - \"" + e.get<std::string>() + "\"\n";
          }
          if (one_of != nullptr && one_of->is_array()) {
            const std::string* property_desc = str_member(val, "description");
            bool skip_property_desc = false;
            if (property_desc != nullptr && !one_of->empty())
              if (const std::string* vd = str_member((*one_of)[0], "description"); vd != nullptr && *vd == *property_desc)
                skip_property_desc = true;
            bool rendered_above = false;
            if (!skip_property_desc && property_desc != nullptr) {
              out += indent + "// " + *property_desc + "\n";
              rendered_above = true;
            }
            if (const Json* def = member(val, "default")) out += indent + "// " + default_text(*def, val, true) + "\n";
            out += indent + key + optional + ":\n";
            for (std::size_t i = 0; i < one_of->size(); ++i) {
              const Json& variant = (*one_of)[i];
              out += indent + " | ";
              std::string type_str = harmony_schema_to_typescript(variant, indent + "   ");
              if (is_nullable(variant) && type_str.find("null") == std::string::npos) type_str += " | null";
              out += type_str;
              std::vector<std::string> trailing;
              if (i == 0 && rendered_above) {
                // the property-level description above stands for the first variant's
              } else if (const std::string* vd = str_member(variant, "description")) {
                if (property_desc == nullptr || *vd != *property_desc) trailing.push_back(*vd);
              }
              if (const Json* def = member(variant, "default")) trailing.push_back(default_text(*def, variant, true));
              if (!trailing.empty()) out += " // " + join(trailing, " ");
              out += "\n";
            }
            out += indent + ",\n";
            continue;
          }
          out += indent + key + optional + ": ";
          std::string type_str = harmony_schema_to_typescript(val, indent + "    ");
          if (is_nullable(val) && type_str.find("null") == std::string::npos) type_str += " | null";
          out += type_str + ",";
          if (one_of == nullptr)
            if (const Json* def = member(val, "default")) out += " // " + default_text(*def, val, true);
          out += "\n";
        }
      }
      out += indent + "}";
      return out;
    }
    if (ty == "string") {
      if (const Json* e = member(schema, "enum"); e != nullptr && e->is_array()) {
        std::vector<std::string> values;
        for (const Json& v : *e)
          if (v.is_string()) values.push_back("\"" + v.get<std::string>() + "\"");
        if (!values.empty()) return join(values, " | ");
      }
      return "string";
    }
    if (ty == "number" || ty == "integer") return "number";
    if (ty == "boolean") return "boolean";
    if (ty == "array") {
      const Json* items = member(schema, "items");
      return items != nullptr ? harmony_schema_to_typescript(*items, indent) + "[]" : "Array<any>";
    }
    return "any";
  }
  // A oneOf that is not an array (an array returned above) gives `any`, as in harmony.
  return "any";
}

std::string harmony_tools_section(const std::map<std::string, ParsedHarmonyNamespace>& namespaces) {
  std::vector<std::string> sections = {"# Tools"};
  for (const auto& [key, ns] : namespaces) {
    std::vector<std::string> content = {"## " + ns.name + "\n"};
    if (ns.description)
      for (const std::string& line : rust_lines(*ns.description))
        content.push_back(ns.tools.empty() ? line : "// " + line);
    if (!ns.tools.empty()) {
      content.push_back("namespace " + ns.name + " {\n");
      for (const ParsedHarmonyTool& tool : ns.tools) {
        for (const std::string& line : rust_lines(tool.description)) content.push_back("// " + line);
        if (tool.parameters)
          content.push_back("type " + tool.name + " = (_: " + harmony_schema_to_typescript(*tool.parameters, "") +
                            ") => any;\n");
        else
          content.push_back("type " + tool.name + " = () => any;\n");
      }
      content.push_back("} // namespace " + ns.name);
    }
    sections.push_back(join(content, "\n"));
  }
  return join(sections, "\n\n");
}

}  // namespace tokcount::chat::detail
