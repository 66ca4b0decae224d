#include "promorec/lake/schema.h"

#include <gtest/gtest.h>

#include <string>

namespace promorec::lake {
namespace {

base::Result<std::string> Value(ColumnType type, std::string_view in) {
  std::string out;
  PROMOREC_RETURN_IF_ERROR(AppendValue(type, in, &out));
  return out;
}

TEST(SchemaTest, ValuesOfEachType) {
  EXPECT_EQ(Value(ColumnType::kString, "a,b").value(), "\"a,b\"");
  EXPECT_EQ(Value(ColumnType::kString, "").value(), "\"\"");
  EXPECT_EQ(Value(ColumnType::kBigint, "-9223372036854775808").value(), "-9223372036854775808");
  EXPECT_EQ(Value(ColumnType::kBigint, "007").value(), "7");
  EXPECT_EQ(Value(ColumnType::kDouble, "12.50").value(), "12.5");
  EXPECT_EQ(Value(ColumnType::kDouble, "1e300").value(), "1e+300");
  EXPECT_EQ(Value(ColumnType::kBoolean, "1").value(), "true");
  EXPECT_EQ(Value(ColumnType::kBoolean, "false").value(), "false");
  EXPECT_EQ(Value(ColumnType::kTimestamp, "1796674503123456").value(),
            "2026-12-07T20:15:03.123456Z");
  EXPECT_EQ(Value(ColumnType::kTimestamp, "0").value(), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Value(ColumnType::kTimestamp, "253402300799999999").value(),
            "9999-12-31T23:59:59.999999Z");
  // Empty is NULL for every type but string.
  for (const ColumnType type :
       {ColumnType::kBigint, ColumnType::kDouble, ColumnType::kBoolean, ColumnType::kTimestamp}) {
    EXPECT_EQ(Value(type, "").value(), "");
  }
}

TEST(SchemaTest, ValuesThatDoNotFitAreRejected) {
  EXPECT_EQ(Value(ColumnType::kBigint, "9223372036854775808").error().message(),
            "\"9223372036854775808\" is not a bigint (a decimal 64-bit integer)");
  EXPECT_EQ(Value(ColumnType::kBigint, "1.5").error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(Value(ColumnType::kDouble, "inf").error().message(), "\"inf\" is not a finite double");
  EXPECT_FALSE(Value(ColumnType::kDouble, "nan").has_value());
  EXPECT_FALSE(Value(ColumnType::kDouble, "1.5x").has_value());
  EXPECT_FALSE(Value(ColumnType::kBoolean, "yes").has_value());
  EXPECT_FALSE(Value(ColumnType::kTimestamp, "-1").has_value());
  EXPECT_FALSE(Value(ColumnType::kTimestamp, "253402300800000000").has_value());
  EXPECT_FALSE(Value(ColumnType::kTimestamp, "2026-12-07").has_value());
  EXPECT_EQ(Value(ColumnType::kString, "\xff").error().message(), "string is not valid UTF-8");
}

TEST(SchemaTest, Validation) {
  TableSchema schema{"clicks", {{"id", ColumnType::kString, ""}}, ""};
  EXPECT_TRUE(ValidateSchema(schema).has_value());
  schema.columns.push_back({"id", ColumnType::kBigint, ""});
  EXPECT_EQ(ValidateSchema(schema).error().message(), "table clicks: column id appears twice");
  schema.columns.back().name = "hour";
  EXPECT_EQ(ValidateSchema(schema).error().message(),
            "table clicks: column hour has the name of a partition column");
  schema.columns.back().name = "Price";
  EXPECT_FALSE(ValidateSchema(schema).has_value());
  EXPECT_FALSE(ValidateSchema(TableSchema{"clicks", {}, ""}).has_value());
  EXPECT_FALSE(ValidateSchema(TableSchema{"9lives", {{"a", ColumnType::kString, ""}}, ""}));
  EXPECT_TRUE(IsValidName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidName(std::string(65, 'a')));
}

TEST(SchemaTest, TypeNames) {
  for (const ColumnType type : {ColumnType::kString, ColumnType::kBigint, ColumnType::kDouble,
                                ColumnType::kBoolean, ColumnType::kTimestamp}) {
    EXPECT_EQ(ParseColumnType(ColumnTypeName(type)), type);
  }
  EXPECT_FALSE(ParseColumnType("int").has_value());
  EXPECT_EQ(DuckDbTypeName(ColumnType::kTimestamp), "TIMESTAMP");
}

}  // namespace
}  // namespace promorec::lake
