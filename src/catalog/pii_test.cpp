#include "catalog/pii.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakehouse::catalog {
namespace {

TEST(PiiTest, KindNamesRoundTrip) {
  for (PiiKind kind : {PiiKind::kNone, PiiKind::kPii, PiiKind::kPhi, PiiKind::kFinancial}) {
    EXPECT_EQ(PiiKindFromName(PiiKindName(kind)), kind) << PiiKindName(kind);
  }
  EXPECT_STREQ(PiiKindName(PiiKind::kNone), "none");
  EXPECT_STREQ(PiiKindName(PiiKind::kPii), "pii");
  EXPECT_STREQ(PiiKindName(PiiKind::kPhi), "phi");
  EXPECT_STREQ(PiiKindName(PiiKind::kFinancial), "financial");
}

TEST(PiiTest, UnknownKindNameIsNone) {
  EXPECT_EQ(PiiKindFromName(""), PiiKind::kNone);
  EXPECT_EQ(PiiKindFromName("secret"), PiiKind::kNone);
  EXPECT_EQ(PiiKindFromName("pii2"), PiiKind::kNone);
  EXPECT_EQ(PiiKindFromName("PHI"), PiiKind::kPhi);
}

TEST(PiiTest, HitFound) {
  EXPECT_FALSE(PiiHit{}.found());
  EXPECT_TRUE((PiiHit{PiiKind::kPii, "x"}).found());
}

TEST(PiiTest, EmailAccepted) {
  for (const char* v : {"alice@example.com", "first.last+tag@mail.example.co.uk", "  bob@x.io  ",
                        "o'brien@example.ie", "USER_1@Example-Mail.COM"}) {
    EXPECT_TRUE(LooksLikeEmail(v)) << v;
  }
}

TEST(PiiTest, EmailRejected) {
  for (const char* v :
       {"", "alice", "@example.com", "alice@", "alice@localhost", "a..b@example.com",
        ".a@example.com", "a.@example.com", "a@b@example.com", "a@-example.com", "a@example-.com",
        "a@example..com", "a@10.0.0.1", "a@example.c", "alice at example.com", "a b@example.com",
        "a@exa mple.com", "Alice <alice@example.com>"}) {
    EXPECT_FALSE(LooksLikeEmail(v)) << v;
  }
  EXPECT_FALSE(LooksLikeEmail(std::string(65, 'a') + "@example.com"));
}

TEST(PiiTest, PhoneAccepted) {
  for (const char* v : {"+1 415 555 0123", "(415) 555-0123", "415-555-0123", "415.555.0123",
                        "+44 20 7946 0958", "+14155550123", "+44 (0) 20 7946 0958", "555-0123",
                        "1-800-555-0199", "+49-30-1234567", " 415 555 0123 "}) {
    EXPECT_TRUE(LooksLikePhone(v)) << v;
  }
}

TEST(PiiTest, PhoneRejected) {
  for (const char* v : {"",
                        "4155550123",
                        "14155550123",
                        "2024-01-15",
                        "15.01.2024",
                        "1-5-2024",
                        "2024 01 15",
                        "01/15/2024",
                        "3.14159265",
                        "1234567.89",
                        "1.234.567",
                        "12.345.678",
                        "555-12",
                        "+123456",
                        "+1234567890123456",
                        "call me",
                        "415-555-0123 ext 4",
                        "-4155550123",
                        "(415 555-0123",
                        "415) 555-0123",
                        "((415)) 555-0123",
                        "415--555-0123",
                        "415-555-0123-",
                        "+",
                        "+ 415 555 0123",
                        "1-2-3-4-5-6-7",
                        "2024-01-15 10:30:00",
                        "1,234,567"}) {
    EXPECT_FALSE(LooksLikePhone(v)) << v;
  }
}

TEST(PiiTest, SsnAccepted) {
  for (const char* v : {"123-45-6789", "078-05-1120", "899-99-9999", " 001-01-0001 "}) {
    EXPECT_TRUE(LooksLikeSsn(v)) << v;
  }
}

TEST(PiiTest, SsnRejectsInvalidRangesAndShapes) {
  for (const char* v : {"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-6789",
                        "123-45-0000", "123456789", "123 45 6789", "123-456-789", "12-345-6789",
                        "abc-de-fghi", "123-45-67890", ""}) {
    EXPECT_FALSE(LooksLikeSsn(v)) << v;
  }
}

TEST(PiiTest, CardAcceptsLuhnValidNumbers) {
  for (const char* v :
       {"4111111111111111", "5500 0000 0000 0004", "4111-1111-1111-1111", "378282246310005",
        "6011111111111117", "4222222222222", " 4111 1111 1111 1111 "}) {
    EXPECT_TRUE(LooksLikeCardNumber(v)) << v;
  }
}

TEST(PiiTest, CardRejected) {
  for (const char* v : {"4111111111111112", "5500 0000 0000 0005", "0000000000000000",
                        "4444444444444444", "4111 1111 1111", "41111111111111111111",
                        "4111  1111 1111 1111", "4111--1111-1111-1111", "4111-1111-1111-111a",
                        "-4111111111111111", "4111111111111111-", "4111.1111.1111.1111", ""}) {
    EXPECT_FALSE(LooksLikeCardNumber(v)) << v;
  }
}

TEST(PiiTest, IbanAcceptsMod97Valid) {
  for (const char* v :
       {"GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00", "gb82west12345698765432",
        "FR14 2004 1010 0505 0001 3M02 606", "NO9386011117947"}) {
    EXPECT_TRUE(LooksLikeIban(v)) << v;
  }
}

TEST(PiiTest, IbanRejected) {
  for (const char* v :
       {"GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "GB00WEST12345698765432",
        "DE8937040044", "1234567890123456", "GB82-WEST-1234-5698-7654-32", "G882WEST12345698765432",
        "GBX2WEST12345698765432", ""}) {
    EXPECT_FALSE(LooksLikeIban(v)) << v;
  }
  EXPECT_FALSE(LooksLikeIban("AB12" + std::string(40, '0')));
}

struct NameCase {
  const char* name;
  PiiKind kind;
};

TEST(PiiTest, ClassifiesRealisticColumnNames) {
  const NameCase cases[] = {
      {"customer_email", PiiKind::kPii},
      {"DateOfBirth", PiiKind::kPii},
      {"date_of_birth", PiiKind::kPii},
      {"dateofbirth", PiiKind::kPii},
      {"birthdate", PiiKind::kPii},
      {"dob", PiiKind::kPii},
      {"ssn", PiiKind::kPii},
      {"SSN", PiiKind::kPii},
      {"salary_usd", PiiKind::kFinancial},
      {"diagnosis_code", PiiKind::kPhi},
      {"zip_code", PiiKind::kPii},
      {"zipcode", PiiKind::kPii},
      {"iban", PiiKind::kFinancial},
      {"IBANNumber", PiiKind::kFinancial},
      {"first_name", PiiKind::kPii},
      {"lastName", PiiKind::kPii},
      {"FullName", PiiKind::kPii},
      {"firstname", PiiKind::kPii},
      {"customer_name", PiiKind::kPii},
      {"employee-name", PiiKind::kPii},
      {"surname", PiiKind::kPii},
      {"e_mail", PiiKind::kPii},
      {"E-Mail", PiiKind::kPii},
      {"emailAddress", PiiKind::kPii},
      {"phonenumber", PiiKind::kPii},
      {"phone_number", PiiKind::kPii},
      {"homephone", PiiKind::kPii},
      {"mobile_no", PiiKind::kPii},
      {"cell_phone", PiiKind::kPii},
      {"home_address", PiiKind::kPii},
      {"address_line_2", PiiKind::kPii},
      {"street", PiiKind::kPii},
      {"postal_code", PiiKind::kPii},
      {"Postcode", PiiKind::kPii},
      {"ip_address", PiiKind::kPii},
      {"IPAddress", PiiKind::kPii},
      {"passport_number", PiiKind::kPii},
      {"drivers_license", PiiKind::kPii},
      {"driver's licence", PiiKind::kPii},
      {"national_id", PiiKind::kPii},
      {"tax id", PiiKind::kPii},
      {"user_name", PiiKind::kPii},
      {"gender", PiiKind::kPii},
      {"emails", PiiKind::kPii},
      {"patient_id", PiiKind::kPhi},
      {"medical_record_number", PiiKind::kPhi},
      {"mrn", PiiKind::kPhi},
      {"ICD10Code", PiiKind::kPhi},
      {"medications", PiiKind::kPhi},
      {"prescription", PiiKind::kPhi},
      {"allergies", PiiKind::kPhi},
      {"blood_type", PiiKind::kPhi},
      {"insurance_member_id", PiiKind::kPhi},
      {"has_allergy", PiiKind::kPhi},
      {"annual_income", PiiKind::kFinancial},
      {"wages", PiiKind::kFinancial},
      {"bonus_eur", PiiKind::kFinancial},
      {"account_number", PiiKind::kFinancial},
      {"bank_account_no", PiiKind::kFinancial},
      {"creditCardNumber", PiiKind::kFinancial},
      {"creditcard", PiiKind::kFinancial},
      {"card_no", PiiKind::kFinancial},
      {"cvv2", PiiKind::kFinancial},
      {"routing_number", PiiKind::kFinancial},
      {"swift_code", PiiKind::kFinancial},
      {"bic", PiiKind::kFinancial},
  };
  for (const NameCase& c : cases) {
    const PiiHit hit = ClassifyColumnName(c.name);
    EXPECT_EQ(hit.kind, c.kind) << c.name << ": " << hit.reason;
    EXPECT_FALSE(hit.reason.empty()) << c.name;
  }
}

TEST(PiiTest, LeavesOrdinaryColumnNamesAlone) {
  for (const char* name : {"",
                           "id",
                           "ID",
                           "name",
                           "Name",
                           "product_name",
                           "file_name",
                           "dataset_name",
                           "created_at",
                           "updated_at",
                           "order_id",
                           "customer_id",
                           "user_id",
                           "quantity",
                           "price",
                           "amount",
                           "status",
                           "description",
                           "city",
                           "country",
                           "state",
                           "condition",
                           "treatment",
                           "treatment_group",
                           "health_check",
                           "ip_address_count",
                           "email_count",
                           "num_emails",
                           "is_email_verified",
                           "has_phone",
                           "phone_type",
                           "email_domain",
                           "mailbox_size",
                           "mail_sent_at",
                           "mobile_app_version",
                           "cellar",
                           "cell_id",
                           "banking_day",
                           "swift_version",
                           "postal_service",
                           "gender_ratio",
                           "nickname_length",
                           "number_of_patients",
                           "emailed",
                           "zipper",
                           "___",
                           "42"}) {
    const PiiHit hit = ClassifyColumnName(name);
    EXPECT_FALSE(hit.found()) << name << ": " << hit.reason;
    EXPECT_TRUE(hit.reason.empty()) << name;
  }
}

TEST(PiiTest, NameReasonsSayWhatMatched) {
  EXPECT_EQ(ClassifyColumnName("customer_email").reason, "name matches 'email'");
  EXPECT_EQ(ClassifyColumnName("DateOfBirth").reason, "name matches 'date of birth'");
  EXPECT_EQ(ClassifyColumnName("salary_usd").reason, "name matches 'salary'");
  EXPECT_EQ(ClassifyColumnName("bank_account_number").reason, "name matches 'account number'");
}

TEST(PiiTest, MostSensitiveNameMatchWins) {
  EXPECT_EQ(ClassifyColumnName("patient_email").kind, PiiKind::kPhi);
  EXPECT_EQ(ClassifyColumnName("patient_name").kind, PiiKind::kPhi);
  EXPECT_EQ(ClassifyColumnName("employee_salary").kind, PiiKind::kFinancial);
  EXPECT_EQ(ClassifyColumnName("cardholder_name").kind, PiiKind::kPii);
}

std::vector<std::string> Repeat(const std::string& value, int n) {
  return std::vector<std::string>(n, value);
}

TEST(PiiTest, FewEmailsAmongOtherValuesAreNotEnough) {
  std::vector<std::string> sample = {"a@example.com", "b@example.com"};
  for (int i = 0; i < 8; ++i) sample.push_back("plain text " + std::to_string(i));
  EXPECT_FALSE(ClassifyValues(sample).found());
}

TEST(PiiTest, MostlyEmailsArePii) {
  std::vector<std::string> sample;
  for (int i = 0; i < 9; ++i) sample.push_back("user" + std::to_string(i) + "@example.com");
  sample.push_back("n/a");
  const PiiHit hit = ClassifyValues(sample);
  EXPECT_EQ(hit.kind, PiiKind::kPii);
  EXPECT_EQ(hit.reason, "values: 9 of 10 sampled values look like e-mail addresses");
}

TEST(PiiTest, ExactlyHalfIsEnough) {
  std::vector<std::string> sample = {
      "a@example.com", "b@example.com", "c@example.com", "x", "y", "z"};
  EXPECT_EQ(ClassifyValues(sample).kind, PiiKind::kPii);
  sample.push_back("w");
  // Below half, the values are counted as text holding addresses instead.
  EXPECT_EQ(ClassifyValues(sample).reason, "3 of 7 sampled values contain e-mail addresses");
}

TEST(PiiTest, NeedsAtLeastThreeMatches) {
  EXPECT_FALSE(ClassifyValues({"a@example.com", "b@example.com"}).found());
  EXPECT_TRUE(ClassifyValues({"a@example.com", "b@example.com", "c@example.com"}).found());
}

TEST(PiiTest, EmptyValuesDoNotCount) {
  const PiiHit hit =
      ClassifyValues({"a@example.com", "", "b@example.com", "   ", "c@example.com", "\t"});
  EXPECT_EQ(hit.kind, PiiKind::kPii);
  EXPECT_EQ(hit.reason, "values: 3 of 3 sampled values look like e-mail addresses");
  EXPECT_FALSE(ClassifyValues({}).found());
  EXPECT_FALSE(ClassifyValues({"", " ", ""}).found());
}

TEST(PiiTest, CardValuesAreFinancial) {
  const PiiHit hit = ClassifyValues(
      {"4111111111111111", "5500 0000 0000 0004", "4111-1111-1111-1111", "378282246310005"});
  EXPECT_EQ(hit.kind, PiiKind::kFinancial);
  EXPECT_EQ(hit.reason, "values: 4 of 4 sampled values look like payment card numbers");
}

TEST(PiiTest, DashedFifteenDigitCardsAreCardsNotPhones) {
  // Also phone-shaped; the more specific matcher must win.
  const PiiHit hit = ClassifyValues(Repeat("3782-822463-10005", 5));
  EXPECT_EQ(hit.kind, PiiKind::kFinancial);
  EXPECT_NE(hit.reason.find("payment card"), std::string::npos) << hit.reason;
}

TEST(PiiTest, IbanValuesAreFinancial) {
  const PiiHit hit = ClassifyValues(
      {"GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "NO9386011117947", "n/a"});
  EXPECT_EQ(hit.kind, PiiKind::kFinancial);
  EXPECT_EQ(hit.reason, "values: 3 of 4 sampled values look like IBANs");
}

TEST(PiiTest, SsnValuesReportSsnNotPhone) {
  const PiiHit hit = ClassifyValues({"123-45-6789", "078-05-1120", "234-56-7890"});
  EXPECT_EQ(hit.kind, PiiKind::kPii);
  EXPECT_EQ(hit.reason, "values: 3 of 3 sampled values look like US social security numbers");
}

TEST(PiiTest, PhoneValuesArePii) {
  const PiiHit hit =
      ClassifyValues({"+1 415 555 0123", "(415) 555-0124", "415.555.0125", "unknown"});
  EXPECT_EQ(hit.kind, PiiKind::kPii);
  EXPECT_EQ(hit.reason, "values: 3 of 4 sampled values look like phone numbers");
}

TEST(PiiTest, DatesNumbersAndIdsAreNotPii) {
  EXPECT_FALSE(ClassifyValues({"2024-01-15", "2024-02-29", "2023-12-31", "15.01.2024"}).found());
  EXPECT_FALSE(ClassifyValues({"1234567.89", "3.14159265", "2718281.8", "1.234.567"}).found());
  // Random 16-digit ids pass Luhn only one time in ten.
  EXPECT_FALSE(ClassifyValues({"1234567890123456", "1234567890123457", "1234567890123458",
                               "1234567890123459", "1234567890123450"})
                   .found());
  EXPECT_FALSE(ClassifyValues({"4155550123", "4155550124", "4155550125"}).found());
  EXPECT_FALSE(ClassifyValues(Repeat("hello world", 20)).found());
}

}  // namespace
}  // namespace lakehouse::catalog
